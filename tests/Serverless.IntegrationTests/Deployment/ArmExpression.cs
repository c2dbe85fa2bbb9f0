using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Serverless.IntegrationTests.Deployment;

/// <summary>
/// A value only Azure knows at deployment time (a resource's output, <c>uniqueString</c>, the subscription…), kept as the
/// expression that computes it. Values are <see cref="JsonNode"/> trees; an unknown one is the object
/// <c>{"$armUnknown": "expression"}</c>, and a string with unknown parts shows each as <c>«expression»</c>.
/// </summary>
public static class ArmUnknown
{
    private const string Key = "$armUnknown";

    public static JsonObject Node(string expression) => new() { [Key] = expression };

    public static bool Is(JsonNode? node) => ExpressionOf(node) is not null;

    /// <summary>The text of an unknown node, or null for a known one.</summary>
    public static string? ExpressionOf(JsonNode? node) =>
        node is JsonObject { Count: 1 } o && o.TryGetPropertyValue(Key, out var expression) && expression is JsonValue value
            ? value.GetValue<string>()
            : null;
}

/// <summary>What an expression is evaluated against: its template's parameters and variables, the copy index, lambda arguments.</summary>
public interface IArmScope
{
    JsonNode? Parameter(string name);

    JsonNode? Variable(string name);

    int? CopyIndex { get; }
}

/// <summary>
/// The ARM template expression language (<c>"[format('{0}-x', parameters('p'))]"</c>) as the Bicep compiler emits it,
/// evaluated as far as a template alone allows: parameters, variables, copy indexes, lambdas and the pure functions the
/// compiled infra uses are computed; anything that needs Azure (<c>reference</c>, <c>uniqueString</c>, <c>guid</c>,
/// <c>subscription()</c>…) becomes an <see cref="ArmUnknown"/>. An unsupported construct throws, naming it.
/// </summary>
public static class ArmExpression
{
    /// <summary>Evaluates a template value: expression strings are evaluated, objects and arrays element by element.</summary>
    public static JsonNode? EvaluateValue(JsonNode? node, IArmScope scope) => node switch
    {
        JsonObject o => new JsonObject(o.Select(p => KeyValuePair.Create(p.Key, EvaluateValue(p.Value, scope)))),
        JsonArray a => new JsonArray(a.Select(i => EvaluateValue(i, scope)).ToArray()),
        JsonValue v when v.GetValueKind() == JsonValueKind.String => EvaluateString(v.GetValue<string>(), scope),
        null => null,
        _ => node.DeepClone(),
    };

    /// <summary>A template string: <c>"[…]"</c> is an expression, <c>"[[…"</c> an escaped literal bracket, anything else a literal.</summary>
    public static JsonNode? EvaluateString(string text, IArmScope scope)
    {
        if (text.StartsWith("[[", StringComparison.Ordinal))
        {
            return JsonValue.Create(text[1..]);
        }

        if (text.Length >= 2 && text[0] == '[' && text[^1] == ']')
        {
            return Evaluate(text[1..^1], scope);
        }

        return JsonValue.Create(text);
    }

    /// <summary>Evaluates one expression (without its enclosing brackets).</summary>
    public static JsonNode? Evaluate(string expression, IArmScope scope)
    {
        var parser = new Parser(expression);
        var node = parser.ParseExpression();
        parser.ExpectEnd();
        return new Evaluator(expression, scope).Evaluate(node);
    }

    /// <summary>A value as <c>format</c> and string interpolation render it; unknown parts as <c>«expression»</c>.</summary>
    public static string Render(JsonNode? node) => node switch
    {
        null => string.Empty,
        _ when ArmUnknown.ExpressionOf(node) is { } expression => $"«{expression}»",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>() ? "True" : "False",
        JsonValue v => v.ToJsonString(),
        _ => node.ToJsonString(),
    };

    private abstract record Node(int Start, int End);

    private sealed record Literal(JsonNode? Value, int Start, int End) : Node(Start, End);

    private sealed record Call(string Name, IReadOnlyList<Node> Arguments, int Start, int End) : Node(Start, End);

    private sealed record Member(Node Target, string Name, int Start, int End) : Node(Start, End);

    private sealed record Index(Node Target, Node Key, int Start, int End) : Node(Start, End);


    private sealed class Parser(string text)
    {
        private int _pos;

        public Node ParseExpression()
        {
            SkipSpace();
            var start = _pos;
            Node node;
            if (Peek() == '\'')
            {
                node = new Literal(JsonValue.Create(ReadString()), start, _pos);
            }
            else if (char.IsAsciiDigit(Peek()) || (Peek() == '-' && char.IsAsciiDigit(PeekAt(1))))
            {
                var numberStart = _pos++;
                while (_pos < text.Length && char.IsAsciiDigit(text[_pos]))
                {
                    _pos++;
                }

                node = new Literal(JsonValue.Create(long.Parse(text[numberStart.._pos], CultureInfo.InvariantCulture)), start, _pos);
            }
            else if (char.IsAsciiLetter(Peek()) || Peek() == '_')
            {
                var name = ReadIdentifier();
                SkipSpace();
                Expect('(');
                var arguments = new List<Node>();
                SkipSpace();
                if (Peek() != ')')
                {
                    while (true)
                    {
                        arguments.Add(ParseExpression());
                        SkipSpace();
                        if (Peek() == ',')
                        {
                            _pos++;
                            continue;
                        }

                        break;
                    }
                }

                Expect(')');
                node = new Call(name, arguments, start, _pos);
            }
            else
            {
                throw Error("expected a string, a number or a function call");
            }

            while (true)
            {
                SkipSpace();
                if (_pos < text.Length && text[_pos] == '.')
                {
                    _pos++;
                    node = new Member(node, ReadIdentifier(), start, _pos);
                }
                else if (_pos < text.Length && text[_pos] == '[')
                {
                    _pos++;
                    var key = ParseExpression();
                    SkipSpace();
                    Expect(']');
                    node = new Index(node, key, start, _pos);
                }
                else
                {
                    return node;
                }
            }
        }

        public void ExpectEnd()
        {
            SkipSpace();
            if (_pos != text.Length)
            {
                throw Error("unexpected text after the expression");
            }
        }

        private string ReadString()
        {
            Expect('\'');
            var builder = new StringBuilder();
            while (true)
            {
                if (_pos >= text.Length)
                {
                    throw Error("unterminated string");
                }

                var c = text[_pos++];
                if (c != '\'')
                {
                    builder.Append(c);
                }
                else if (_pos < text.Length && text[_pos] == '\'')
                {
                    builder.Append('\'');
                    _pos++;
                }
                else
                {
                    return builder.ToString();
                }
            }
        }

        private string ReadIdentifier()
        {
            var start = _pos;
            while (_pos < text.Length && (char.IsAsciiLetterOrDigit(text[_pos]) || text[_pos] == '_'))
            {
                _pos++;
            }

            return _pos > start ? text[start.._pos] : throw Error("expected a name");
        }

        private void SkipSpace()
        {
            while (_pos < text.Length && char.IsWhiteSpace(text[_pos]))
            {
                _pos++;
            }
        }

        private char Peek() => _pos < text.Length ? text[_pos] : '\0';

        private char PeekAt(int offset) => _pos + offset < text.Length ? text[_pos + offset] : '\0';

        private void Expect(char c)
        {
            if (Peek() != c)
            {
                throw Error($"expected '{c}'");
            }

            _pos++;
        }

        private FormatException Error(string what) => new($"ARM expression, position {_pos}: {what}: [{text}]");
    }

    private sealed class Evaluator(string text, IArmScope scope)
    {
        private IReadOnlyDictionary<string, JsonNode?> _lambdaVariables = new Dictionary<string, JsonNode?>();

        public JsonNode? Evaluate(Node node) => node switch
        {
            Literal literal => literal.Value?.DeepClone(),
            Member member => MemberOf(Evaluate(member.Target), member.Name, node),
            Index index => IndexOf(Evaluate(index.Target), Evaluate(index.Key), node),
            Call call => Invoke(call),
            _ => throw new InvalidOperationException(node.ToString()),
        };

        private string Source(Node node) => text[node.Start..node.End];

        private JsonNode? MemberOf(JsonNode? target, string name, Node node) => target switch
        {
            _ when ArmUnknown.Is(target) => ArmUnknown.Node(Source(node)),
            JsonObject o => Property(o, name)?.DeepClone() ?? throw new KeyNotFoundException($"'{name}' is not a property of {o.ToJsonString()} in [{text}]"),
            _ => throw new InvalidOperationException($"'.{name}' on a value that is not an object in [{text}]"),
        };

        private JsonNode? IndexOf(JsonNode? target, JsonNode? key, Node node)
        {
            if (ArmUnknown.Is(target) || ArmUnknown.Is(key))
            {
                return ArmUnknown.Node(Source(node));
            }

            return (target, key) switch
            {
                (JsonArray a, JsonValue i) when i.GetValueKind() == JsonValueKind.Number => a[(int)Number(i)]?.DeepClone(),
                (JsonObject o, JsonValue k) when k.GetValueKind() == JsonValueKind.String => Property(o, k.GetValue<string>())?.DeepClone(),
                _ => throw new InvalidOperationException($"cannot index {target?.ToJsonString()} with {key?.ToJsonString()} in [{text}]"),
            };
        }

        private static JsonNode? Property(JsonObject o, string name) =>
            o.TryGetPropertyValue(name, out var value) ? value
            : o.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;

        private JsonNode? Invoke(Call call)
        {
            var name = call.Name.ToLowerInvariant();
            switch (name)
            {
                case "map":
                    return Map(call);
                case "lambdavariables":
                    var variable = Text(Evaluate(call.Arguments[0]));
                    return _lambdaVariables.TryGetValue(variable, out var bound)
                        ? bound?.DeepClone()
                        : throw new InvalidOperationException($"lambdaVariables('{variable}') outside its lambda in [{text}]");
                case "if":
                    var condition = Evaluate(call.Arguments[0]);
                    return ArmUnknown.Is(condition) ? ArmUnknown.Node(Source(call))
                        : Evaluate(Bool(condition) ? call.Arguments[1] : call.Arguments[2]);
            }

            var arguments = call.Arguments.Select(Evaluate).ToList();
            return name switch
            {
                "parameters" => scope.Parameter(Text(arguments[0]))?.DeepClone(),
                "variables" => scope.Variable(Text(arguments[0]))?.DeepClone(),
                "copyindex" => CopyIndex(arguments),
                "true" => JsonValue.Create(true),
                "false" => JsonValue.Create(false),
                "null" => null,
                "createarray" => new JsonArray(arguments.Select(a => a?.DeepClone()).ToArray()),
                "createobject" => CreateObject(arguments),
                "format" => Format(arguments),
                "concat" => Concat(call, arguments),
                "union" => Union(call, arguments),
                "flatten" => Known(call, arguments) ?? new JsonArray(arguments[0]!.AsArray().SelectMany(inner => inner!.AsArray().Select(i => i?.DeepClone())).ToArray()),
                "length" => Known(call, arguments) ?? JsonValue.Create(Length(arguments[0])),
                "empty" => Known(call, arguments) ?? JsonValue.Create(Length(arguments[0]) == 0),
                "equals" => Known(call, arguments) ?? JsonValue.Create(JsonNode.DeepEquals(arguments[0], arguments[1])),
                "not" => Known(call, arguments) ?? JsonValue.Create(!Bool(arguments[0])),
                "and" => Known(call, arguments) ?? JsonValue.Create(arguments.All(Bool)),
                "or" => Known(call, arguments) ?? JsonValue.Create(arguments.Any(Bool)),
                "greater" => Known(call, arguments) ?? JsonValue.Create(Number(arguments[0]) > Number(arguments[1])),
                "less" => Known(call, arguments) ?? JsonValue.Create(Number(arguments[0]) < Number(arguments[1])),
                "string" => Known(call, arguments) ?? JsonValue.Create(Render(arguments[0])),
                "tolower" => Known(call, arguments) ?? JsonValue.Create(Text(arguments[0]).ToLowerInvariant()),
                "toupper" => Known(call, arguments) ?? JsonValue.Create(Text(arguments[0]).ToUpperInvariant()),
                "resourceid" => ResourceId(arguments, subscriptionLevel: false),
                "subscriptionresourceid" => ResourceId(arguments, subscriptionLevel: true),
                _ => ArmUnknown.Node(Source(call)), // needs Azure: reference, uniqueString, guid, subscription(), take of an unknown…
            };
        }

        /// <summary><c>copyIndex()</c>, <c>copyIndex(offset)</c>, <c>copyIndex('loop'[, offset])</c> (one loop level).</summary>
        private JsonValue CopyIndex(List<JsonNode?> arguments)
        {
            var index = scope.CopyIndex ?? throw new InvalidOperationException($"copyIndex() outside a copy loop in [{text}]");
            var offset = arguments.LastOrDefault(a => a is JsonValue v && v.GetValueKind() == JsonValueKind.Number);
            return JsonValue.Create(index + (offset is null ? 0 : Number(offset)));
        }

        /// <summary>Null when every argument is known; else the whole call, unknown.</summary>
        private JsonNode? Known(Call call, List<JsonNode?> arguments) =>
            arguments.Any(ArmUnknown.Is) ? ArmUnknown.Node(Source(call)) : null;

        private static JsonObject CreateObject(List<JsonNode?> arguments)
        {
            var result = new JsonObject();
            for (var i = 0; i + 1 < arguments.Count; i += 2)
            {
                result[Text(arguments[i])] = arguments[i + 1]?.DeepClone();
            }

            return result;
        }

        private static JsonValue Format(List<JsonNode?> arguments)
        {
            var format = Text(arguments[0]);
            var builder = new StringBuilder();
            for (var i = 0; i < format.Length; i++)
            {
                var c = format[i];
                if (c == '{' && i + 1 < format.Length && format[i + 1] == '{')
                {
                    builder.Append('{');
                    i++;
                }
                else if (c == '}' && i + 1 < format.Length && format[i + 1] == '}')
                {
                    builder.Append('}');
                    i++;
                }
                else if (c == '{')
                {
                    var end = format.IndexOf('}', i);
                    var spec = format[(i + 1)..end].Split(':')[0];
                    builder.Append(Render(arguments[1 + int.Parse(spec, CultureInfo.InvariantCulture)]));
                    i = end;
                }
                else
                {
                    builder.Append(c);
                }
            }

            return JsonValue.Create(builder.ToString());
        }

        private JsonNode? Concat(Call call, List<JsonNode?> arguments) =>
            arguments.Count > 0 && arguments.All(a => a is JsonArray)
                ? new JsonArray(arguments.SelectMany(a => a!.AsArray().Select(i => i?.DeepClone())).ToArray())
                : arguments.Any(a => a is JsonArray or JsonObject) ? ArmUnknown.Node(Source(call))
                : JsonValue.Create(string.Concat(arguments.Select(Render)));

        private JsonNode? Union(Call call, List<JsonNode?> arguments)
        {
            if (Known(call, arguments) is { } unknown)
            {
                return unknown;
            }

            if (arguments.All(a => a is JsonObject))
            {
                var result = new JsonObject();
                foreach (var property in arguments.SelectMany(a => a!.AsObject()))
                {
                    result[property.Key] = property.Value?.DeepClone();
                }

                return result;
            }

            var items = new List<JsonNode?>();
            foreach (var item in arguments.SelectMany(a => a!.AsArray()))
            {
                if (!items.Any(existing => JsonNode.DeepEquals(existing, item)))
                {
                    items.Add(item?.DeepClone());
                }
            }

            return new JsonArray(items.ToArray());
        }

        /// <summary><c>map(array, lambda('item'[, 'index'], body))</c>: the body evaluated for each item.</summary>
        private JsonNode? Map(Call call)
        {
            var items = Evaluate(call.Arguments[0]);
            if (ArmUnknown.Is(items))
            {
                return ArmUnknown.Node(Source(call));
            }

            var lambda = call.Arguments[1] is Call { Name: var lambdaName } l && lambdaName.Equals("lambda", StringComparison.OrdinalIgnoreCase) ? l
                : throw new InvalidOperationException($"map() needs a lambda(…) as its second argument in [{text}]");
            var names = lambda.Arguments.SkipLast(1).Select(a => Text(Evaluate(a))).ToList();
            var array = items!.AsArray();
            var results = new List<JsonNode?>();
            for (var i = 0; i < array.Count; i++)
            {
                var outer = _lambdaVariables;
                var bound = new Dictionary<string, JsonNode?>(outer) { [names[0]] = array[i]?.DeepClone() };
                if (names.Count > 1)
                {
                    bound[names[1]] = JsonValue.Create(i);
                }

                _lambdaVariables = bound;
                results.Add(Evaluate(lambda.Arguments[^1]));
                _lambdaVariables = outer;
            }

            return new JsonArray(results.ToArray());
        }

        private static bool Bool(JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False ? v.GetValueKind() == JsonValueKind.True
            : throw new InvalidOperationException($"expected a bool, found {node?.ToJsonString() ?? "null"}");

        private static long Number(JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.Number ? long.Parse(v.ToJsonString(), CultureInfo.InvariantCulture)
            : throw new InvalidOperationException($"expected a number, found {node?.ToJsonString() ?? "null"}");

        private static int Length(JsonNode? value) => value switch
        {
            JsonArray a => a.Count,
            JsonObject o => o.Count,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>().Length,
            null => 0,
            _ => throw new InvalidOperationException($"length() of {value.ToJsonString()}"),
        };

        /// <summary>
        /// <c>resourceId([subscriptionId], [resourceGroup], type, name…)</c> and <c>subscriptionResourceId</c>: the id
        /// with unknown subscription and resource group (<c>/subscriptions/«subscription»/…/providers/type/name/…</c>).
        /// </summary>
        private static JsonValue ResourceId(List<JsonNode?> arguments, bool subscriptionLevel)
        {
            var typeAt = arguments.FindIndex(a => a is JsonValue v && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>().Contains('/', StringComparison.Ordinal));
            var typeSegments = Text(arguments[typeAt]).Split('/');
            var names = arguments.Skip(typeAt + 1).Select(Render).ToList();
            var path = new StringBuilder(typeSegments[0]);
            for (var i = 1; i < typeSegments.Length; i++)
            {
                path.Append('/').Append(typeSegments[i]);
                if (i - 1 < names.Count)
                {
                    path.Append('/').Append(names[i - 1]);
                }
            }

            var prefix = subscriptionLevel ? "/subscriptions/«subscription»" : "/subscriptions/«subscription»/resourceGroups/«resourceGroup»";
            return JsonValue.Create($"{prefix}/providers/{path}");
        }

        private static string Text(JsonNode? node) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>()
            : throw new InvalidOperationException($"expected a string, found {node?.ToJsonString() ?? "null"}");
    }
}
