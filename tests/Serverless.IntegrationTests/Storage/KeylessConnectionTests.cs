using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Azure.Core;
using Azure.Identity;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Storage;

namespace Serverless.IntegrationTests.Storage;

/// <summary>
/// The keyless production path against an Azurite that issues user-delegation keys (HTTPS, <c>--oauth basic</c>):
/// the delegation key's life cycle, misconfigured identities failing with a message that names the setting, and the
/// whole app (upload → pipeline → signed playback) on an identity-based connection.
/// </summary>
public sealed class KeylessConnectionTests(SecureAzuriteFixture secure) : IClassFixture<SecureAzuriteFixture>
{
    [Fact]
    public async Task DelegationKey_FetchedAtStartup_NotPerUrl_RenewedBeforeExpiry()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var credential = new AzuriteTokenCredential();
        await using var storage = await StorageHost.StartAsync(secure.Process, StorageMode.Identity, time: time, credential: credential);
        var keys = storage.Services.GetRequiredService<UserDelegationKeys>();

        Assert.Equal(1, keys.Fetches);
        for (var i = 0; i < 500; i++)
        {
            storage.Signer.GetSasUri("media", $"v/360p/seg_{i:00000}.ts", BlobSasPermissions.Read, time.GetUtcNow().AddHours(1));
        }

        Assert.Equal(1, keys.Fetches);
        Assert.Equal(0, keys.ForegroundFetches);
        var renewAt = keys.RenewAt!.Value;
        Assert.InRange(renewAt - time.GetUtcNow(), TimeSpan.FromHours(12) - TimeSpan.FromMinutes(1), TimeSpan.FromHours(12) + TimeSpan.FromMinutes(1));

        // Half of the 24-hour key left: renewed in the background, before any SAS could need a later expiry.
        time.Advance(renewAt - time.GetUtcNow() + TimeSpan.FromSeconds(1));
        await Eventually.TrueAsync(() => keys.Fetches == 2, TimeSpan.FromSeconds(30), "the key was not renewed");
        Assert.True(keys.RenewAt > renewAt);
        Assert.Equal(0, keys.ForegroundFetches);
    }

    [Fact]
    public async Task DelegationKey_SasOutlivingTheCachedKey_GetsAFreshKey()
    {
        await using var storage = await StorageHost.StartAsync(secure.Process, StorageMode.Identity, new Dictionary<string, string?> { ["Storage:UserDelegationKeyHours"] = "6" });
        var keys = storage.Services.GetRequiredService<UserDelegationKeys>();

        var url = storage.Signer.GetSasUri("media", "v/poster.jpg", BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(5));

        Assert.Equal(0, keys.ForegroundFetches);
        Assert.Throws<InvalidOperationException>(() =>
            storage.Signer.GetSasUri("media", "v/poster.jpg", BlobSasPermissions.Read, DateTimeOffset.UtcNow.AddHours(7)));
        Assert.Equal(1, keys.ForegroundFetches);
        Assert.Contains("skoid=", url.Query, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_UnreachableAccount_FailsNamingTheSetting()
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage:blobServiceUri"] = "https://127.0.0.1:9/devstoreaccount1",
            ["Storage:MaxRetries"] = "0",
        };

        var ex = await Assert.ThrowsAnyAsync<Exception>(() => StorageHost.StartAsync(secure.Process, StorageMode.Identity, settings));

        Assert.IsType<StorageUnavailableException>(ex);
        Assert.Contains("'AzureWebJobsStorage__accountName'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("could not be reached", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_IdentityWithoutToken_FailsNamingTheCredentialSettings()
    {
        var ex = await Assert.ThrowsAnyAsync<Exception>(() =>
            StorageHost.StartAsync(secure.Process, StorageMode.Identity, credential: new NoIdentity()));

        Assert.Contains("AzureWebJobsStorage__credential", ex.Message, StringComparison.Ordinal);
        Assert.Contains("no managed identity here", ex.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, null, "'AzureWebJobsStorage'")]
    [InlineData("UseDevelopmentStorage=maybe;AccountName", null, "'AzureWebJobsStorage' is not a valid storage connection string")]
    [InlineData(null, "Not_An_Account", "'AzureWebJobsStorage__accountName'")]
    public async Task Startup_MissingOrBadConnection_FailsNamingTheSetting(string? connectionString, string? accountName, string expected)
    {
        var settings = new Dictionary<string, string?>
        {
            ["AzureWebJobsStorage"] = connectionString,
            ["AzureWebJobsStorage:accountName"] = accountName,
            ["AzureWebJobsStorage:blobServiceUri"] = null,
            ["AzureWebJobsStorage:queueServiceUri"] = null,
            ["AzureWebJobsStorage:tableServiceUri"] = null,
        };

        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() => StorageHost.StartAsync(secure.Process, StorageMode.Identity, settings));

        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Startup_UnknownCredentialKind_FailsNamingTheSetting()
    {
        var ex = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            StorageHost.StartAsync(secure.Process, StorageMode.Identity, new Dictionary<string, string?> { ["AzureWebJobsStorage:credential"] = "clientsecret" }));

        Assert.Contains("'AzureWebJobsStorage__credential'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task App_OnIdentityConnection_UploadToSignedPlayback()
    {
        var work = Directory.CreateTempSubdirectory("keyless-e2e-").FullName;
        try
        {
            var settings = new Dictionary<string, string?>(secure.Process.IdentitySettings)
            {
                ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
                ["Media:WorkDirectory"] = Path.Combine(work, "media-work"),
            };
            await using var app = new FunctionsAppFactory(null, settings, services => StorageHost.Configure(services, secure.Process, StorageMode.Identity));
            var client = app.CreateClient().As("keyless");
            using var storageHttp = new HttpClient(secure.Process.CreateHttpHandler());
            var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(320, 180, 2));

            var created = await (await client.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = new FileInfo(clip).Length }))
                .Content.ReadFromJsonAsync<JsonElement>();
            var uploadUrl = new Uri(created.GetProperty("uploadUrl").GetString()!);
            Assert.Contains("skoid=", uploadUrl.Query, StringComparison.Ordinal);
            using (var put = new HttpRequestMessage(HttpMethod.Put, uploadUrl) { Content = new ByteArrayContent(await File.ReadAllBytesAsync(clip)) })
            {
                put.Headers.Add("x-ms-blob-type", "BlockBlob");
                Assert.Equal(HttpStatusCode.Created, (await storageHttp.SendAsync(put)).StatusCode);
            }

            var videoId = created.GetProperty("videoId").GetString()!;
            var status = default(JsonElement);
            await Eventually.TrueAsync(
                async () =>
                {
                    status = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}");
                    return status.GetProperty("status").GetString() is "Ready" or "Failed";
                },
                TimeSpan.FromMinutes(3),
                "the upload did not finish");
            Assert.Equal("Ready", status.GetProperty("status").GetString());

            var grant = await client.GetFromJsonAsync<JsonElement>($"/api/videos/{videoId}/playback");
            var master = await client.GetStringAsync(grant.GetProperty("url").GetString());
            var child = master.Split('\n').First(l => l.Length > 0 && !l.StartsWith('#'));
            var playlistUrl = new Uri(new Uri(client.BaseAddress!, grant.GetProperty("url").GetString()), child);
            var media = await client.GetStringAsync(playlistUrl);
            var segment = new Uri(media.Split('\n').First(l => l.StartsWith("https://", StringComparison.Ordinal)));
            Assert.Contains("skoid=", segment.Query, StringComparison.Ordinal);
            using var bytes = await storageHttp.GetAsync(segment);
            Assert.Equal(HttpStatusCode.OK, bytes.StatusCode);
            Assert.True((await bytes.Content.ReadAsByteArrayAsync()).Length > 0);
            Assert.Equal(HttpStatusCode.OK, (await storageHttp.GetAsync(grant.GetProperty("posterUrl").GetString())).StatusCode);
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>An identity that cannot get a token, as on a machine without a managed identity.</summary>
    private sealed class NoIdentity : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new CredentialUnavailableException("no managed identity here");

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            throw new CredentialUnavailableException("no managed identity here");
    }
}
