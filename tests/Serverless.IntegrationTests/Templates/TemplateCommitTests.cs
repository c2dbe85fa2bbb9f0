using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;
using static Serverless.IntegrationTests.Templates.TemplateTestData;

namespace Serverless.IntegrationTests.Templates;

/// <summary>
/// Publishing when storage applied a conditional write but its answer was lost: the SDK retries the request and storage
/// refuses the retry (412 for a replace, 409 for an insert), though the write took effect. The library must still take
/// one version per change and hand each change to a syncing client once (before, the lost answer of a head write made the
/// publish commit again under the next version, leaving a gap and sending the change twice to a client that synced
/// between).
/// </summary>
public sealed class TemplateCommitTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Theory]
    [InlineData("head")]
    [InlineData("online")]
    public async Task Publish_WriteAppliedButItsAnswerLost_TakesOneVersionAndSyncsOnce(string lostRow)
    {
        var lossy = new List<LossyTables>();
        await using var app = new FunctionsAppFactory(azurite.ConnectionString, new Dictionary<string, string?> { ["LocalRuntime:Enabled"] = "false" })
            .WithWebHostBuilder(b => b.ConfigureTestServices(services =>
            {
                var real = services.Last(d => d.ServiceType == typeof(ITableStore));
                services.Remove(real);
                services.AddSingleton<ITableStore>(sp =>
                {
                    var tables = new LossyTables((ITableStore)ActivatorUtilities.CreateInstance(sp, real.ImplementationType!), lostRow);
                    lossy.Add(tables);
                    return tables;
                });
            }));
        var admin = app.CreateClient().AsOperator();
        var client = app.CreateClient().As("lossy");
        await RegisterAssetsAsync(admin);
        var ids = Enumerable.Range(0, 3).Select(_ => UniqueId("lost")).ToList();
        foreach (var id in ids)
        {
            (await PutAsync(admin, id, Template(id))).EnsureSuccessStatusCode();
        }

        var before = (await ManifestAsync(client))["version"]!.GetValue<long>();
        var versions = new List<long>();
        var deltas = new List<JsonObject>();
        foreach (var id in ids)
        {
            lossy.Single().LoseNext();
            var response = await admin.PostAsync($"/api/operator/templates/{id}/publish", null);
            response.EnsureSuccessStatusCode();
            versions.Add((await response.Content.ReadFromJsonAsync<JsonObject>())!["libraryVersion"]!.GetValue<long>());
            deltas.Add(await ManifestAsync(client, versions.Count == 1 ? before : versions[^2]));
        }

        Assert.Equal(3, lossy.Single().Lost);
        Assert.Equal([before + 1, before + 2, before + 3], versions);
        Assert.Equal(ids.Select(id => new[] { id }), deltas.Select(d => UpsertIds(d).ToArray()));
        Assert.Empty(UpsertIds(await ManifestAsync(client, versions[^1])));
    }

    /// <summary>Applies the next write of the chosen library row, then answers as the SDK's retry of it would.</summary>
    private sealed class LossyTables(ITableStore inner, string row) : ITableStore
    {
        private int _armed;

        public int Lost { get; private set; }

        public void LoseNext() => Interlocked.Exchange(ref _armed, 1);

        public async Task<string> InsertAsync(string table, TableRow value, CancellationToken cancellationToken)
        {
            var etag = await inner.InsertAsync(table, value, cancellationToken);
            return Lose(value) ? throw new StorageConflictException("The row exists (the retry of an insert that succeeded).") : etag;
        }

        public async Task<string> ReplaceAsync(string table, TableRow value, CancellationToken cancellationToken)
        {
            var etag = await inner.ReplaceAsync(table, value, cancellationToken);
            return Lose(value) ? throw new StoragePreconditionFailedException("The ETag changed (the retry of a replace that succeeded).") : etag;
        }

        private bool Lose(TableRow value)
        {
            var target = row == "head" ? value.PartitionKey == "library" : value.PartitionKey == "online";
            if (target && Interlocked.Exchange(ref _armed, 0) == 1)
            {
                Lost++;
                return true;
            }

            return false;
        }

        public Task<TableRow?> GetAsync(string table, string partitionKey, string rowKey, CancellationToken cancellationToken) => inner.GetAsync(table, partitionKey, rowKey, cancellationToken);

        public Task<string> UpsertAsync(string table, TableRow value, CancellationToken cancellationToken) => inner.UpsertAsync(table, value, cancellationToken);

        public Task DeleteAsync(string table, string partitionKey, string rowKey, string? eTag, CancellationToken cancellationToken) => inner.DeleteAsync(table, partitionKey, rowKey, eTag, cancellationToken);

        public Task UpsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) => inner.UpsertBatchAsync(table, rows, cancellationToken);

        public Task InsertBatchAsync(string table, IReadOnlyList<TableRow> rows, CancellationToken cancellationToken) => inner.InsertBatchAsync(table, rows, cancellationToken);

        public Task<TablePage> QueryPageAsync(string table, string? filter, int take, string? continuationToken, CancellationToken cancellationToken) => inner.QueryPageAsync(table, filter, take, continuationToken, cancellationToken);

        public IAsyncEnumerable<TableRow> QueryAsync(string table, string? filter, CancellationToken cancellationToken) => inner.QueryAsync(table, filter, cancellationToken);
    }
}
