using System.Text;
using System.Text.Json;
using Serverless.Recommendations.Serving;
using Serverless.Storage;

namespace Serverless.Recommendations.Training;

/// <summary>The <c>latest</c> pointer: which version serves, where its blob is, its holdout score, and the ranker inside it (if any).</summary>
public sealed record ModelPointer(string Version, string ModelBlob, string Algorithm, DateTimeOffset CreatedAt, string SelectionMetric, double Score, string? Ranker = null);

/// <summary>
/// Model blobs in the <c>models</c> container: <c>recommender/versions/{version}/model.bin</c> and <c>report.json</c>
/// beside it, and <c>recommender/latest.json</c> naming the version that serves. The pointer is written last, so a
/// failed run never changes what serves.
/// </summary>
internal sealed class ModelRepository(IBlobStore blobs)
{
    public const string Container = "models";
    public const string PointerBlob = "recommender/latest.json";
    public const string LockBlob = "locks/recommender-retrain";

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static string ModelBlob(string version) => $"recommender/versions/{version}/model.bin";

    public static string ReportBlob(string version) => $"recommender/versions/{version}/report.json";

    public async Task<ModelPointer?> ReadPointerAsync(CancellationToken cancellationToken)
    {
        var text = await blobs.ReadTextAsync(Container, PointerBlob, cancellationToken).ConfigureAwait(false);
        return text is null ? null : JsonSerializer.Deserialize<ModelPointer>(text, Json);
    }

    public async Task<RecommenderSnapshot> LoadAsync(ModelPointer pointer, CancellationToken cancellationToken)
    {
        var stream = await blobs.OpenReadAsync(Container, pointer.ModelBlob, cancellationToken).ConfigureAwait(false);
        await using (stream.ConfigureAwait(false))
        {
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken).ConfigureAwait(false);
            buffer.Position = 0;
            return RecommenderSnapshot.Read(buffer);
        }
    }

    public async Task WriteModelAsync(RecommenderSnapshot snapshot, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        snapshot.Write(buffer);
        buffer.Position = 0;
        await blobs.UploadAsync(Container, ModelBlob(snapshot.Version), buffer, new BlobWriteOptions("application/octet-stream"), cancellationToken).ConfigureAwait(false);
    }

    public Task WriteReportAsync(TrainingReport report, CancellationToken cancellationToken) =>
        WriteJsonAsync(ReportBlob(report.Version), report, cancellationToken);

    public Task WritePointerAsync(ModelPointer pointer, CancellationToken cancellationToken) =>
        WriteJsonAsync(PointerBlob, pointer, cancellationToken);

    public Task<IBlobLease?> TryLockAsync(CancellationToken cancellationToken) =>
        blobs.TryAcquireLeaseAsync(Container, LockBlob, TimeSpan.FromSeconds(60), cancellationToken);

    private async Task WriteJsonAsync<T>(string name, T value, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value, Json)));
        await blobs.UploadAsync(Container, name, buffer, new BlobWriteOptions("application/json"), cancellationToken).ConfigureAwait(false);
    }
}
