using System.Diagnostics;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Identity;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.Review;
using Serverless.WeChat.Push;

namespace Serverless.IntegrationTests.MiniProgram;

/// <summary>
/// The mini-program sample (samples/miniprogram), its own pages and code, run in Node with WeChat's component test tooling
/// (miniprogram-simulate, jest) and a <c>wx</c> that does real I/O, against two apps started here on Kestrel: one with
/// the review off (sign-in, chunked upload to Ready, resume after a kill, playback, feed, templates) and one whose fake
/// WeChat answers "review" (the upload followed into review and to the operator's rejection). The scenarios are in
/// samples/miniprogram/test; jest's output is shown when one fails.
/// </summary>
public sealed class MiniProgramSampleTests(FakeWeChat wechat) : IClassFixture<FakeWeChat>
{
    private const int ChunkBytes = 65536;

    [Fact]
    public async Task SampleScenarios_PassAgainstTheApp()
    {
        var sample = RepoFiles.Path("samples", "miniprogram");
        Assert.True(Directory.Exists(Path.Combine(sample, "node_modules", "miniprogram-simulate")), "samples/miniprogram has no node_modules: run `npm ci` there (./dev.sh test does).");
        var work = Directory.CreateTempSubdirectory("miniprogram-").FullName;
        try
        {
            var clip = Path.Combine(work, "clip.mp4");
            File.Copy(await TestClips.Shared.GenerateAsync(new ClipSpec(640, 360, 3)), clip);
            var chunk = new Dictionary<string, string?>
            {
                ["Pipeline:UploadChunkBytes"] = ChunkBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
                ["Pipeline:ProgressIntervalSeconds"] = "0.2",
                ["Media:WorkDirectory"] = Path.Combine(work, "media-work"),
                ["Rendering:ShortSide"] = "360", // the "make a video" scenario: a small canvas keeps it quick
            };
            var plain = await AzuriteFixture.NewAccountAsync();
            await using var app = Start(new FunctionsAppFactory(plain.ConnectionString, chunk), out var appBase);

            wechat.Verdict = _ => (MediaCheckSuggest.Review, 100);
            var reviewed = await AzuriteFixture.NewAccountAsync();
            var reviewSettings = ReviewTestKit.Settings(wechat, work, deadlineMinutes: 30);
            foreach (var (key, value) in chunk)
            {
                reviewSettings[key] = value;
            }

            await using var reviewApp = Start(new FunctionsAppFactory(reviewed.ConnectionString, reviewSettings), out var reviewBase);
            wechat.PushTo = new HttpClient { BaseAddress = reviewBase };
            try
            {
                var (code, output) = await NpmTestAsync(sample, new Dictionary<string, string>
                {
                    ["API_BASE"] = appBase.AbsoluteUri.TrimEnd('/'),
                    ["REVIEW_API_BASE"] = reviewBase.AbsoluteUri.TrimEnd('/'),
                    ["OPERATOR_KEY"] = FunctionsAppFactory.OperatorKey,
                    ["CLIP"] = clip,
                    ["CHUNK_BYTES"] = ChunkBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                });

                Assert.True(code == 0, "The mini-program sample's scenarios failed (npm test in samples/miniprogram):\n" + output);
            }
            finally
            {
                wechat.PushTo = null;
            }
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    private static FunctionsAppFactory Start(FunctionsAppFactory app, out Uri address)
    {
        app.UseKestrel(0);
        app.StartServer();
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        address = new Uri(bound.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("localhost", "127.0.0.1", StringComparison.Ordinal));
        return app;
    }

    private static async Task<(int Code, string Output)> NpmTestAsync(string folder, IReadOnlyDictionary<string, string> environment)
    {
        var psi = new ProcessStartInfo("npm")
        {
            WorkingDirectory = folder,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("test");
        psi.ArgumentList.Add("--silent");
        foreach (var (key, value) in environment)
        {
            psi.Environment[key] = value;
        }

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(10));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            return (-1, "npm test did not finish within 10 minutes.\n" + await stdout + await stderr);
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
