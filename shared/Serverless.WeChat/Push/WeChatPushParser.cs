using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Xml;
using System.Xml.Linq;

namespace Serverless.WeChat.Push;

/// <summary>
/// Reads push bodies, JSON or XML (whichever the mini-program console is set to), into <see cref="WeChatPushMessage"/>s.
/// Bounded and safe: at most <see cref="WeChatPushVerifier.MaxBodyChars"/> characters and <see cref="MaxDepth"/> levels,
/// no DTD, no entity or external resolution, no duplicate fields. Anything else is "malformed" (<see langword="null"/>).
/// </summary>
internal static class WeChatPushParser
{
    public const int MaxDepth = 16;
    public const int MaxTraceIdChars = 128;
    public const int MaxDetailItems = 64;

    private static readonly SearchValues<char> TraceIdCharacters =
        SearchValues.Create("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_");

    private static readonly JsonDocumentOptions JsonOptions = new()
    {
        MaxDepth = MaxDepth,
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        AllowTrailingCommas = false,
    };

    private static readonly XmlReaderSettings XmlSettings = new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = WeChatPushVerifier.MaxBodyChars,
        MaxCharactersFromEntities = 1024, // 0 would mean "no limit"; with no DTD only character references remain.
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
        IgnoreWhitespace = true,
        CloseInput = true,
    };

    /// <summary>The <c>Encrypt</c> value of a safe-mode body, or <see langword="null"/> when there is none or the body is unreadable.</summary>
    public static string? ReadEncrypt(string body)
    {
        try
        {
            var root = Load(body);
            var encrypt = root?.Text("Encrypt");
            return string.IsNullOrEmpty(encrypt) ? null : encrypt;
        }
        catch (Exception ex) when (ex is FormatException or JsonException or XmlException)
        {
            return null;
        }
    }

    /// <summary>The message, or <see langword="null"/> when it is unreadable or a media check misses what we need.</summary>
    public static WeChatPushMessage? Parse(string text)
    {
        try
        {
            var root = Load(text);
            if (root is null)
            {
                return null;
            }

            var msgType = root.Text("MsgType");
            if (string.IsNullOrEmpty(msgType))
            {
                return null;
            }

            var eventName = root.Text("Event");
            return string.Equals(msgType, "event", StringComparison.OrdinalIgnoreCase)
                && string.Equals(eventName, MediaCheckEvent.EventName, StringComparison.OrdinalIgnoreCase)
                ? ReadMediaCheck(root)
                : new OtherPushMessage(msgType, string.IsNullOrEmpty(eventName) ? null : eventName);
        }
        catch (Exception ex) when (ex is FormatException or JsonException or XmlException)
        {
            return null;
        }
    }

    public static string WriteEnvelopeJson(string toUserName, string encrypt)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("ToUserName", toUserName);
            writer.WriteString("Encrypt", encrypt);
            writer.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.WrittenSpan);
    }

    public static string WriteEnvelopeXml(string toUserName, string encrypt) =>
        new XElement("xml", new XElement("ToUserName", new XCData(toUserName)), new XElement("Encrypt", new XCData(encrypt)))
            .ToString(SaveOptions.DisableFormatting);

    /// <summary>The media check, or what made it unusable (the message itself was read: it is answered, not refused).</summary>
    private static WeChatPushMessage ReadMediaCheck(Node root)
    {
        try
        {
            return root.Text("version") is null && root.Text("isrisky") is not null ? ReadVersion1(root) : ReadVersion2(root);
        }
        catch (FormatException ex)
        {
            var traceId = root.Text("trace_id");
            return new UnusableMediaCheck(ex.Message, IsPlainTraceId(traceId) ? traceId : null);
        }
    }

    private static bool IsPlainTraceId(string? traceId) =>
        !string.IsNullOrEmpty(traceId) && traceId.Length <= MaxTraceIdChars && traceId.AsSpan().IndexOfAnyExcept(TraceIdCharacters) < 0;

    /// <summary>Version 1: <c>isrisky</c> and <c>status_code</c> (an unsigned 32-bit number; non-zero when the check failed).</summary>
    private static MediaCheckEvent ReadVersion1(Node root)
    {
        var (traceId, appId) = ReadIds(root);
        var risky = root.Int("isrisky") switch
        {
            0 => false,
            1 => true,
            _ => throw new FormatException("isrisky is neither 0 nor 1."),
        };
        var status = root.Text("status_code") is { } text
            ? long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var code) ? code : throw new FormatException("status_code is not an integer.")
            : 0;
        var errCode = status is >= int.MinValue and <= uint.MaxValue ? unchecked((int)status) : -1;
        MediaCheckResult? result = errCode != 0 ? null
            : risky ? new MediaCheckResult(MediaCheckSuggest.Risky, MediaCheckLabels.Unlabelled)
            : new MediaCheckResult(MediaCheckSuggest.Pass, MediaCheckLabels.Normal);
        return new MediaCheckEvent(traceId, appId, 1, errCode, root.Text("errmsg"), result, []);
    }

    private static (string TraceId, string AppId) ReadIds(Node root)
    {
        var traceId = root.Text("trace_id");
        if (!IsPlainTraceId(traceId))
        {
            throw new FormatException("trace_id is missing or not a plain identifier.");
        }

        var appId = root.Text("appid");
        if (string.IsNullOrEmpty(appId))
        {
            throw new FormatException("appid is missing.");
        }

        return (traceId!, appId);
    }

    private static MediaCheckEvent ReadVersion2(Node root)
    {
        var (traceId, appId) = ReadIds(root);

        var version = root.Int("version") ?? throw new FormatException("version is missing.");
        var errCode = root.Int("errcode") ?? 0;
        MediaCheckResult? result = null;
        if (root.Child("result") is { } verdict)
        {
            result = new MediaCheckResult(
                ToSuggest(verdict.Text("suggest")) ?? throw new FormatException("result.suggest is missing or unknown."),
                verdict.Int("label") ?? throw new FormatException("result.label is missing."));
        }
        else if (errCode == 0)
        {
            throw new FormatException("A successful check has no result.");
        }

        var items = root.Items("detail");
        if (items.Count > MaxDetailItems)
        {
            throw new FormatException("Too many detail items.");
        }

        var detail = new List<MediaCheckDetail>(items.Count);
        foreach (var item in items)
        {
            detail.Add(new MediaCheckDetail(
                item.Text("strategy") ?? string.Empty,
                item.LenientInt("errcode") ?? 0,
                ToSuggest(item.Text("suggest")),
                item.LenientInt("label"),
                item.LenientInt("prob")));
        }

        return new MediaCheckEvent(traceId, appId, version, errCode, root.Text("errmsg"), result, detail);
    }

    private static MediaCheckSuggest? ToSuggest(string? value) => value?.ToUpperInvariant() switch
    {
        "PASS" => MediaCheckSuggest.Pass,
        "REVIEW" => MediaCheckSuggest.Review,
        "RISKY" => MediaCheckSuggest.Risky,
        _ => null,
    };

    private static Node? Load(string text)
    {
        if (text.Length > WeChatPushVerifier.MaxBodyChars)
        {
            return null;
        }

        var span = text.AsSpan().TrimStart('\uFEFF').TrimStart();
        if (span.IsEmpty)
        {
            return null;
        }

        if (span[0] == '{')
        {
            using var document = JsonDocument.Parse(text.AsMemory(text.Length - span.Length), JsonOptions);
            return document.RootElement.ValueKind == JsonValueKind.Object ? new JsonObjectNode(document.RootElement.Clone()) : null;
        }

        if (span[0] != '<')
        {
            return null;
        }

        // Depth is checked on a first streaming pass, so the tree built on the second is small and shallow.
        using (var reader = XmlReader.Create(new StringReader(text), XmlSettings))
        {
            while (reader.Read())
            {
                if (reader.Depth > MaxDepth)
                {
                    throw new FormatException("The XML is nested too deeply.");
                }
            }
        }

        using (var reader = XmlReader.Create(new StringReader(text), XmlSettings))
        {
            var root = XDocument.Load(reader).Root;
            return root is not null && root.Name.LocalName == "xml" && root.Name.Namespace == XNamespace.None ? new XmlElementNode(root) : null;
        }
    }

    /// <summary>The little of JSON and XML the push formats need: named text fields, one nested object, a list of objects.</summary>
    private abstract class Node
    {
        /// <summary>A scalar field as text; <see langword="null"/> when absent.</summary>
        public abstract string? Text(string name);

        public abstract Node? Child(string name);

        public abstract IReadOnlyList<Node> Items(string name);

        public int? Int(string name)
        {
            var text = Text(name);
            if (text is null)
            {
                return null;
            }

            return int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
                ? value
                : throw new FormatException(name + " is not an integer.");
        }

        /// <summary>An integer, or <see langword="null"/> when absent or not one (a fractional number is rounded).</summary>
        public int? LenientInt(string name)
        {
            var text = Text(name);
            if (text is null)
            {
                return null;
            }

            if (int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }

            return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var real) && real is >= int.MinValue and <= int.MaxValue
                ? (int)Math.Round(real)
                : null;
        }
    }

    private sealed class JsonObjectNode(JsonElement element) : Node
    {
        public override string? Text(string name)
        {
            if (!element.TryGetProperty(name, out var value))
            {
                return null;
            }

            return value.ValueKind switch
            {
                JsonValueKind.String => value.GetString(),
                JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False => value.GetRawText(),
                JsonValueKind.Null => null,
                _ => throw new FormatException(name + " is not a scalar."),
            };
        }

        public override Node? Child(string name)
        {
            if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return null;
            }

            return value.ValueKind == JsonValueKind.Object ? new JsonObjectNode(value) : throw new FormatException(name + " is not an object.");
        }

        public override IReadOnlyList<Node> Items(string name)
        {
            if (!element.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
            {
                return [];
            }

            if (value.ValueKind != JsonValueKind.Array || value.GetArrayLength() > MaxDetailItems)
            {
                throw new FormatException(name + " is not a short array.");
            }

            var items = new List<Node>();
            foreach (var item in value.EnumerateArray())
            {
                items.Add(item.ValueKind == JsonValueKind.Object ? new JsonObjectNode(item) : throw new FormatException(name + " holds a non-object."));
            }

            return items;
        }
    }

    /// <summary>WeChat's XML: <c>&lt;xml&gt;</c> with one element per field; a list is the element repeated (or wrapping <c>&lt;item&gt;</c>s).</summary>
    private sealed class XmlElementNode(XElement element) : Node
    {
        public override string? Text(string name)
        {
            var field = Single(name);
            if (field is null)
            {
                return null;
            }

            // Only leaves are read as text, so the value is its own text nodes, never a walk down a tree.
            return field.HasElements ? throw new FormatException(name + " is not a scalar.") : field.Value;
        }

        public override Node? Child(string name) => Single(name) is { } field ? new XmlElementNode(field) : null;

        public override IReadOnlyList<Node> Items(string name)
        {
            var items = new List<Node>();
            foreach (var field in element.Elements(name))
            {
                var wrapped = field.Elements().ToList();
                if (wrapped.Count > 0 && wrapped.TrueForAll(e => e.Name.LocalName == "item"))
                {
                    items.AddRange(wrapped.Select(e => new XmlElementNode(e)));
                }
                else
                {
                    items.Add(new XmlElementNode(field));
                }

                if (items.Count > MaxDetailItems)
                {
                    throw new FormatException(name + " has too many items.");
                }
            }

            return items;
        }

        private XElement? Single(string name)
        {
            XElement? found = null;
            foreach (var field in element.Elements(name))
            {
                if (found is not null)
                {
                    throw new FormatException(name + " appears twice.");
                }

                found = field;
            }

            return found;
        }
    }
}
