using System.Text;
using System.Text.RegularExpressions;

namespace Serverless.IntegrationTests.Infra;

/// <summary>A Bicep value as far as the consistency tests need it: literals are read, anything else is kept as text.</summary>
public abstract record BicepValue;

public sealed record BicepObject(IReadOnlyDictionary<string, BicepValue> Properties) : BicepValue;

public sealed record BicepArray(IReadOnlyList<BicepValue> Items) : BicepValue;

/// <summary>A string literal; <see cref="Text"/> keeps any <c>${…}</c> interpolation as written.</summary>
public sealed record BicepString(string Text) : BicepValue
{
    public bool IsInterpolated => Text.Contains("${", StringComparison.Ordinal);
}

/// <summary>An expression (function call, reference, ternary…) kept as its source text.</summary>
public sealed record BicepExpression(string Text) : BicepValue;

/// <summary>
/// Reads <c>var name = …</c> declarations from Bicep source: objects, arrays and string literals (with comments,
/// multi-line objects, single-line comma lists and interpolations). There is no Bicep compiler on these machines, so
/// the tests read the templates as text with this small parser.
/// </summary>
public sealed partial class BicepReader
{
    private readonly string _text;
    private int _pos;

    private BicepReader(string text, int position)
    {
        _text = text;
        _pos = position;
    }

    /// <summary>The value of <c>var <paramref name="name"/> = …</c>, or null when the file has no such variable.</summary>
    public static BicepValue? Variable(string bicep, string name)
    {
        foreach (Match match in VariableDeclaration().Matches(bicep))
        {
            if (match.Groups["name"].Value == name)
            {
                return new BicepReader(bicep, match.Index + match.Length).ReadValue();
            }
        }

        return null;
    }

    /// <summary>Names of every <c>param</c> a Bicep file declares.</summary>
    public static IReadOnlySet<string> ParameterNames(string bicep) =>
        ParameterDeclaration().Matches(bicep).Select(m => m.Groups["name"].Value).ToHashSet(StringComparer.Ordinal);

    public static BicepValue Parse(string valueText) => new BicepReader(valueText, 0).ReadValue();

    private BicepValue ReadValue()
    {
        SkipTrivia(newlines: false);
        return Peek() switch
        {
            '{' => ReadObject(),
            '[' => ReadArray(),
            '\'' when !At("'''") && IsWholeValueAfterString() => new BicepString(ReadStringLiteral()),
            _ => new BicepExpression(ReadExpression()),
        };
    }

    private BicepObject ReadObject()
    {
        Expect('{');
        var properties = new Dictionary<string, BicepValue>(StringComparer.Ordinal);
        while (true)
        {
            SkipTrivia(newlines: true, commas: true);
            if (Peek() == '}')
            {
                _pos++;
                return new BicepObject(properties);
            }

            var key = Peek() == '\'' ? ReadStringLiteral() : ReadIdentifier();
            SkipTrivia(newlines: false);
            Expect(':');
            properties[key] = ReadValue();
        }
    }

    private BicepArray ReadArray()
    {
        Expect('[');
        var items = new List<BicepValue>();
        while (true)
        {
            SkipTrivia(newlines: true, commas: true);
            if (Peek() == ']')
            {
                _pos++;
                return new BicepArray(items);
            }

            items.Add(ReadValue());
        }
    }

    /// <summary>A literal that is the whole value (not the start of <c>'a' == x ? …</c>).</summary>
    private bool IsWholeValueAfterString()
    {
        var probe = new BicepReader(_text, _pos);
        probe.ReadStringLiteral();
        probe.SkipTrivia(newlines: false);
        return probe._pos >= _text.Length || probe.Peek() is '\n' or '\r' or ',' or '}' or ']';
    }

    private string ReadStringLiteral()
    {
        Expect('\'');
        var builder = new StringBuilder();
        while (true)
        {
            var c = Next();
            switch (c)
            {
                case '\\':
                    builder.Append(Next());
                    break;
                case '\'':
                    return builder.ToString();
                case '$' when Peek() == '{':
                    var start = _pos - 1;
                    _pos++;
                    SkipBalanced('}');
                    builder.Append(_text, start, _pos - start);
                    break;
                default:
                    builder.Append(c);
                    break;
            }
        }
    }

    /// <summary>Reads up to the end of the value: a newline, ',' '}' or ']' outside any brackets, strings or comments.</summary>
    private string ReadExpression()
    {
        var start = _pos;
        while (_pos < _text.Length)
        {
            var c = Peek();
            if (c is '\n' or '\r' or ',' or '}' or ']' || At("//"))
            {
                break;
            }

            switch (c)
            {
                case '\'':
                    SkipString();
                    break;
                case '(':
                    _pos++;
                    SkipBalanced(')');
                    break;
                case '[':
                    _pos++;
                    SkipBalanced(']');
                    break;
                case '{':
                    _pos++;
                    SkipBalanced('}');
                    break;
                default:
                    _pos++;
                    break;
            }
        }

        return _text[start.._pos].Trim();
    }

    /// <summary>Skips to just after the <paramref name="close"/> matching an opening already consumed.</summary>
    private void SkipBalanced(char close)
    {
        while (true)
        {
            var c = Peek();
            if (At("//"))
            {
                SkipLineComment();
                continue;
            }

            switch (c)
            {
                case '\'':
                    SkipString();
                    continue;
                case '(':
                    _pos++;
                    SkipBalanced(')');
                    continue;
                case '[':
                    _pos++;
                    SkipBalanced(']');
                    continue;
                case '{':
                    _pos++;
                    SkipBalanced('}');
                    continue;
            }

            _pos++;
            if (c == close)
            {
                return;
            }
        }
    }

    private void SkipString()
    {
        if (At("'''"))
        {
            var end = _text.IndexOf("'''", _pos + 3, StringComparison.Ordinal);
            _pos = end < 0 ? throw Error("unterminated ''' string") : end + 3;
            return;
        }

        ReadStringLiteral();
    }

    private string ReadIdentifier()
    {
        var start = _pos;
        while (_pos < _text.Length && (char.IsAsciiLetterOrDigit(_text[_pos]) || _text[_pos] == '_'))
        {
            _pos++;
        }

        return _pos > start ? _text[start.._pos] : throw Error("expected a property name");
    }

    private void SkipTrivia(bool newlines, bool commas = false)
    {
        while (_pos < _text.Length)
        {
            var c = _text[_pos];
            if (c is ' ' or '\t' || (newlines && c is '\n' or '\r') || (commas && c == ','))
            {
                _pos++;
            }
            else if (At("//"))
            {
                SkipLineComment();
            }
            else if (At("/*"))
            {
                var end = _text.IndexOf("*/", _pos + 2, StringComparison.Ordinal);
                _pos = end < 0 ? _text.Length : end + 2;
            }
            else
            {
                return;
            }
        }
    }

    private void SkipLineComment()
    {
        var end = _text.IndexOf('\n', _pos);
        _pos = end < 0 ? _text.Length : end;
    }

    private bool At(string token) => string.CompareOrdinal(_text, _pos, token, 0, token.Length) == 0;

    private char Peek() => _pos < _text.Length ? _text[_pos] : throw Error("unexpected end of file");

    private char Next()
    {
        var c = Peek();
        _pos++;
        return c;
    }

    private void Expect(char c)
    {
        if (Next() != c)
        {
            throw Error($"expected '{c}'");
        }
    }

    private FormatException Error(string what)
    {
        var line = 1 + _text.AsSpan(0, Math.Min(_pos, _text.Length)).Count('\n');
        return new FormatException($"Bicep text, line {line}: {what}.");
    }

    [GeneratedRegex(@"^[ \t]*var[ \t]+(?<name>[A-Za-z_]\w*)[ \t]*=[ \t]*", RegexOptions.Multiline)]
    private static partial Regex VariableDeclaration();

    [GeneratedRegex(@"^[ \t]*param[ \t]+(?<name>[A-Za-z_]\w*)\b", RegexOptions.Multiline)]
    private static partial Regex ParameterDeclaration();
}
