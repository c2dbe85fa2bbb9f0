using System.Text.Json;

namespace Serverless.Videos;

/// <summary>Reads the blob's container and name out of a BlobCreated event in either Event Grid schema.</summary>
public static class BlobCreatedEvent
{
    private const string Prefix = "/blobServices/default/containers/";

    public static bool TryParse(string body, out string container, out string blobName)
    {
        container = blobName = string.Empty;
        try
        {
            using var document = JsonDocument.Parse(body);
            var root = document.RootElement.ValueKind == JsonValueKind.Array && document.RootElement.GetArrayLength() == 1
                ? document.RootElement[0]
                : document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return false;
            }

            var type = root.TryGetProperty("eventType", out var t) ? t.GetString()
                : root.TryGetProperty("type", out var ct) ? ct.GetString() : null;
            if (type != "Microsoft.Storage.BlobCreated" || !root.TryGetProperty("subject", out var subject))
            {
                return false;
            }

            var text = subject.GetString() ?? string.Empty;
            if (!text.StartsWith(Prefix, StringComparison.Ordinal))
            {
                return false;
            }

            var rest = text[Prefix.Length..];
            var marker = rest.IndexOf("/blobs/", StringComparison.Ordinal);
            if (marker <= 0)
            {
                return false;
            }

            container = rest[..marker];
            blobName = rest[(marker + "/blobs/".Length)..];
            return blobName.Length > 0;
        }
        catch (JsonException)
        {
            return false;
        }
    }
}
