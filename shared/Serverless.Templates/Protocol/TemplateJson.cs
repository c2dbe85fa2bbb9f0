using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Serverless.Templates.Protocol;

/// <summary>A problem with a template, addressed by its JSON path (e.g. <c>nodes[3].shader.uniforms.u_Scale</c>).</summary>
public sealed record TemplateError(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>The outcome of reading template JSON: the template, or the problems that stopped it.</summary>
public sealed record TemplateParseResult(MotionTemplate? Template, IReadOnlyList<TemplateError> Errors)
{
    public bool IsValid => Template is not null && Errors.Count == 0;
}

/// <summary>Serializer settings of the template protocol and strict parsing with path-addressed errors.</summary>
public static class TemplateJson
{
    /// <summary>Deepest nesting accepted in template JSON (the protocol itself needs 9).</summary>
    public const int MaxDepth = 16;

    /// <summary>Strict options: unknown properties, integer enums and missing required members are errors.</summary>
    public static JsonSerializerOptions Options { get; } = CreateOptions();

    public static TemplateParseResult Parse(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var template = JsonSerializer.Deserialize<MotionTemplate>(utf8Json, Options);
            return template is null
                ? new TemplateParseResult(null, [new TemplateError("$", "a template object is required")])
                : new TemplateParseResult(template, []);
        }
        catch (JsonException ex)
        {
            return new TemplateParseResult(null, [new TemplateError(TrimPath(ex.Path), Describe(ex))]);
        }
    }

    public static TemplateParseResult Parse(string json) => Parse(System.Text.Encoding.UTF8.GetBytes(json));

    public static byte[] SerializeToUtf8Bytes(MotionTemplate template) => JsonSerializer.SerializeToUtf8Bytes(template, Options);

    public static string Serialize<T>(T value) => JsonSerializer.Serialize(value, Options);

    internal static string TrimPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
        {
            return "$";
        }

        return path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string Describe(JsonException ex)
    {
        // The serializer's messages end with "Path: … | LineNumber: …"; the path is reported separately.
        var message = ex.Message;
        var cut = message.IndexOf(" Path:", StringComparison.Ordinal);
        if (cut > 0)
        {
            message = message[..cut];
        }

        if (ex.InnerException is { } inner && ex.Message.StartsWith("The JSON value could not be converted", StringComparison.Ordinal))
        {
            message += " " + inner.Message;
        }

        if (ex.LineNumber is { } line)
        {
            message += string.Create(CultureInfo.InvariantCulture, $" (line {line + 1}, byte {ex.BytePositionInLine + 1})");
        }

        return message.Trim();
    }

    private static JsonSerializerOptions CreateOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            MaxDepth = MaxDepth,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
            NumberHandling = JsonNumberHandling.Strict,
            AllowDuplicateProperties = false,
            RespectNullableAnnotations = true,
        };
        options.Converters.Add(new JsonStringEnumConverter(namingPolicy: null, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}

/// <summary>Reads a uniform as a number or an array of up to 16 numbers; also reads "NaN"/"Infinity" so validation can name them.</summary>
internal sealed class UniformValueConverter : JsonConverter<UniformValue>
{
    public const int MaxComponents = 16;

    public override UniformValue Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                return new UniformValue(reader.GetDouble());
            case JsonTokenType.String:
                return new UniformValue(ReadNamed(ref reader));
            case JsonTokenType.StartArray:
                var components = new List<double>(4);
                while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                {
                    components.Add(reader.TokenType switch
                    {
                        JsonTokenType.Number => reader.GetDouble(),
                        JsonTokenType.String => ReadNamed(ref reader),
                        _ => throw new JsonException("A uniform vector holds numbers only."),
                    });
                    if (components.Count > MaxComponents)
                    {
                        throw new JsonException($"A uniform holds at most {MaxComponents} numbers.");
                    }
                }

                if (components.Count == 0)
                {
                    throw new JsonException("A uniform vector needs at least one number.");
                }

                return new UniformValue(components, isVector: true);
            default:
                throw new JsonException("A uniform is a number or an array of numbers.");
        }
    }

    public override void Write(Utf8JsonWriter writer, UniformValue value, JsonSerializerOptions options)
    {
        if (!value.IsVector)
        {
            WriteNumber(writer, value.Components.Count > 0 ? value.Components[0] : 0);
            return;
        }

        writer.WriteStartArray();
        foreach (var component in value.Components)
        {
            WriteNumber(writer, component);
        }

        writer.WriteEndArray();
    }

    private static void WriteNumber(Utf8JsonWriter writer, double value)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteStringValue(value.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static double ReadNamed(ref Utf8JsonReader reader) => reader.GetString() switch
    {
        "NaN" => double.NaN,
        "Infinity" => double.PositiveInfinity,
        "-Infinity" => double.NegativeInfinity,
        _ => throw new JsonException("A uniform is a number, not a string."),
    };
}

/// <summary>Reads and writes "8dp".</summary>
internal sealed class DpConverter : JsonConverter<Dp>
{
    public override Dp Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException("A dp length is a string such as \"8dp\".");
        }

        var text = reader.GetString()!;
        if (!text.EndsWith("dp", StringComparison.Ordinal)
            || !double.TryParse(text.AsSpan(0, text.Length - 2), NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
            || !double.IsFinite(value))
        {
            throw new JsonException($"'{Truncate(text)}' is not a dp length such as \"8dp\".");
        }

        return new Dp(value);
    }

    public override void Write(Utf8JsonWriter writer, Dp value, JsonSerializerOptions options) =>
        writer.WriteStringValue(value.Value.ToString("R", CultureInfo.InvariantCulture) + "dp");

    private static string Truncate(string text) => text.Length <= 32 ? text : text[..32] + "…";
}
