using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Serverless.IntegrationTests.Infrastructure;

namespace Serverless.IntegrationTests.Identity;

/// <summary>
/// A developer's local app, restarted with <c>local.settings.sample.json</c>'s own keys, keeps everyone signed in and
/// every video its owner's (before, the sample's empty keys meant ephemeral per-process keys).
/// </summary>
public sealed class LocalRestartTests(AzuriteFixture azurite) : IClassFixture<AzuriteFixture>
{
    [Fact]
    public async Task Restart_WithTheSampleKeys_KeepsTokensAndOwnership()
    {
        var sample = RepoFiles.SampleSettings();
        var settings = new Dictionary<string, string?>
        {
            ["LocalRuntime:Enabled"] = "false",
            ["Identity:SigningKeys"] = sample["Identity__SigningKeys"],
            ["Identity:UserIdKey"] = sample["Identity__UserIdKey"],
            ["Playback:SigningKey"] = sample["Playback__SigningKey"],
        };

        string token;
        string videoId;
        await using (var before = new FunctionsAppFactory(azurite.ConnectionString, settings))
        {
            var login = await before.CreateClient().SignInAsync("restart-user");
            token = login.Token;
            var client = before.CreateClient();
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var created = await client.PostAsJsonAsync("/api/uploads", new { fileName = "a.mp4", contentType = "video/mp4", sizeBytes = 1000 });
            Assert.Equal(HttpStatusCode.Created, created.StatusCode);
            videoId = (await created.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("videoId").GetString()!;
        }

        await using var after = new FunctionsAppFactory(azurite.ConnectionString, settings);
        var again = after.CreateClient();
        again.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var status = await again.GetAsync($"/api/videos/{videoId}");
        Assert.Equal(HttpStatusCode.OK, status.StatusCode);
    }

    [Fact]
    public void SampleSettings_DevelopmentKeys_AreTheOnesTheAppRefusesOutsideDevelopment()
    {
        var sample = RepoFiles.SampleSettings();

        Assert.Equal(DevelopmentKeys.TokenSigningKeys, sample["Identity__SigningKeys"]);
        Assert.Equal(DevelopmentKeys.UserIdKey, sample["Identity__UserIdKey"]);
        Assert.Equal(DevelopmentKeys.PlaybackSigningKey, sample["Playback__SigningKey"]);
        Assert.Equal(DevelopmentKeys.OperatorKey, sample["Identity__OperatorKeys"]);
        Assert.Equal(DevelopmentKeys.PushToken, sample["Review__PushToken"]);
    }
}
