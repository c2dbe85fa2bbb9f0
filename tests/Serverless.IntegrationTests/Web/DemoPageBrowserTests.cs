using System.Globalization;
using Microsoft.Playwright;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.IntegrationTests.Templates;
using Xunit.Abstractions;

namespace Serverless.IntegrationTests.Web;

/// <summary>
/// The demo page in a real browser (Debian's headless Chromium): upload a generated clip through the page, follow the
/// pipeline to Ready, play it through the signed playback URL with hls.js, switch rendition. Debian's Chromium decodes
/// H.264/AAC through Media Source Extensions, so this is real decoding, asserted through <c>currentTime</c>.
/// </summary>
public sealed class DemoPageBrowserTests(BrowserSession session, ITestOutputHelper output) : IClassFixture<BrowserSession>
{
    private const string H264Aac = "video/mp4; codecs=\"avc1.64001f,mp4a.40.2\"";

    [Fact]
    public async Task DemoPage_UploadedClip_PlaysAndSwitchesRendition()
    {
        // 960x540 gets two renditions (360p and 540p): the smallest source with a rendition to switch to.
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(960, 540, 4, FrameRate: 24));
        var page = await NewPageAsync();
        try
        {
            Assert.True(await page.EvaluateAsync<bool>($"() => MediaSource.isTypeSupported('{H264Aac.Replace("\"", "\\\"", StringComparison.Ordinal)}')"), "This Chromium cannot decode H.264/AAC through MSE.");
            await SignInAsync(page, "browser-" + Guid.NewGuid().ToString("N")[..8]);

            await page.SetInputFilesAsync("#file", clip);
            await page.ClickAsync("#upload");
            await page.WaitForSelectorAsync("body[data-video-status=Ready]", new() { Timeout = 180_000 });
            Assert.Equal(100, await page.EvaluateAsync<double>("() => document.getElementById('upload-progress').value"));
            Assert.Equal(100, await page.EvaluateAsync<double>("() => document.getElementById('pipeline-progress').value"));

            // The player: hls.js with the signed master playlist, two renditions in the switcher (plus Auto).
            await page.WaitForFunctionAsync("() => document.querySelectorAll('#rendition option').length >= 3 && !document.getElementById('rendition').disabled", null, new() { Timeout = 30_000 });
            await page.EvaluateAsync("() => { const v = document.getElementById('video'); v.loop = true; return v.play(); }");
            var played = await WaitForPlayedAsync(page, 1.0);
            output.WriteLine($"Played {played:F2} s at level {await page.EvaluateAsync<int>("() => window.demo.hls.currentLevel")}");
            Assert.True(await page.EvaluateAsync<bool>("() => document.getElementById('video').poster.length > 0"), "No poster from the playback grant.");

            // Switch to the rendition that is not playing, through the page's switcher.
            var playing = await page.EvaluateAsync<int>("() => window.demo.hls.currentLevel");
            var levels = await page.EvaluateAsync<int>("() => window.demo.hls.levels.length");
            var target = playing == levels - 1 ? 0 : levels - 1;
            await page.SelectOptionAsync("#rendition", target.ToString(CultureInfo.InvariantCulture));
            await page.WaitForSelectorAsync($"body[data-level='{target}']", new() { Timeout = 30_000 });
            Assert.Equal(target, await page.EvaluateAsync<int>("() => window.demo.hls.currentLevel"));
            await WaitForPlayedAsync(page, 1.0);

            // The play event went to the events API (recorded only on a 2xx answer).
            await page.WaitForFunctionAsync("() => window.demo.events.some(e => e.type === 'play' && e.videoId === window.demo.videoId)", null, new() { Timeout = 10_000 });
        }
        finally
        {
            await ScreenshotAsync(page, "demo-page-playback.png");
        }
    }

    /// <summary>
    /// The page starts hls.js as soon as the status says playable, while the (paced) encode still runs, from the first
    /// segment; the clip plays to its end as the playlists grow and turn VOD: every second of it, no fatal error.
    /// </summary>
    [Fact]
    public async Task DemoPage_UploadedClip_PlaysFromTheStartWhileProduced()
    {
        const double Seconds = 6;
        var clip = await TestClips.Shared.GenerateAsync(new ClipSpec(640, 360, Seconds, FrameRate: 25));
        var page = await NewPageAsync();
        try
        {
            await SignInAsync(page, "live-" + Guid.NewGuid().ToString("N")[..8]);
            await page.SetInputFilesAsync("#file", clip);
            await page.ClickAsync("#upload");

            await page.WaitForSelectorAsync("body[data-played-while-produced]", new() { State = WaitForSelectorState.Attached, Timeout = 180_000 });
            Assert.Equal("true", await page.EvaluateAsync<string>("() => document.body.dataset.playedWhileProduced"));
            await page.WaitForFunctionAsync("() => window.demo.hls && window.demo.hls.levels.length > 0", null, new() { Timeout = 30_000 });
            Assert.True(await page.EvaluateAsync<bool>("() => window.demo.hls.levels.every(l => !l.details || l.details.live)"), "the playlists were complete before the player started");

            await WaitForPlayedAsync(page, 0.1);
            await page.WaitForFunctionAsync("() => document.getElementById('video').ended", null, new() { Timeout = 90_000, PollingInterval = 200 });
            // What the element played, as one range from the start to the end: nothing skipped.
            var ranges = await page.EvaluateAsync<double[]>("() => { const r = document.getElementById('video').played; const a = []; for (let i = 0; i < r.length; i++) a.push(r.start(i), r.end(i)); return a; }");
            var duration = await page.EvaluateAsync<double>("() => document.getElementById('video').duration");
            output.WriteLine($"Played {string.Join(", ", ranges.Select(r => r.ToString("F2", CultureInfo.InvariantCulture)))} of {duration:F2} s while produced");
            Assert.Equal(Seconds, duration, 1);
            Assert.Equal(2, ranges.Length);
            Assert.True(ranges[0] < 0.2 && ranges[1] >= duration - 0.1, $"played {ranges[0]:F2}..{ranges[1]:F2} of {duration:F2} s");
            Assert.Equal(0, await page.EvaluateAsync<int>("() => window.demo.fatalErrors.length"));
            await page.WaitForSelectorAsync("body[data-video-status=Ready]", new() { State = WaitForSelectorState.Attached, Timeout = 60_000 });
        }
        finally
        {
            await ScreenshotAsync(page, "demo-page-live.png");
        }
    }

    [Fact]
    public async Task DemoPage_TemplateGallery_SyncsAndPreviewsTheTimeline()
    {
        using var admin = session.App.CreateClient().AsOperator();
        var id = TemplateTestData.UniqueId("demo");
        await TemplateTestData.RegisterAssetsAsync(admin);
        await TemplateTestData.PutAndPublishAsync(admin, id, TemplateTestData.Template(id));
        var page = await NewPageAsync();
        try
        {
            await SignInAsync(page, "gallery-" + Guid.NewGuid().ToString("N")[..8]);

            await page.ClickAsync("#sync");
            await page.ClickAsync($".template[data-id='{id}']", new() { Timeout = 10_000 });
            await page.FillAsync("#image-count", "3");
            await page.ClickAsync("#preview");
            await page.WaitForFunctionAsync("() => window.demo.timeline !== null && document.querySelectorAll('#timeline-bars .node').length === window.demo.timeline.nodes.length", null, new() { Timeout = 10_000 });

            // The template's Chinese name is drawn with real glyphs, not boxes: a CJK font is installed (dev.sh ensure_cjk_font).
            Assert.True(await page.EvaluateAsync<bool>(DrawsDistinctGlyphs, "卓林"), "Chinese renders as boxes: no CJK font (apt-get install fonts-wqy-microhei).");

            // Three images, two transitions between them; the cache is keyed by the library version it was synced at.
            Assert.Equal(3, await page.EvaluateAsync<int>("() => document.querySelectorAll('#timeline-bars .node.image').length"));
            Assert.Equal(2, await page.EvaluateAsync<int>("() => document.querySelectorAll('#timeline-bars .node.transition').length"));
            var version = await page.EvaluateAsync<long>("() => JSON.parse(localStorage.getItem('templates.manifest')).version");
            Assert.Equal(version, await page.EvaluateAsync<long>("() => window.demo.manifestVersion"));

            // A second sync asks only for changes since that version.
            var request = page.WaitForRequestAsync(r => r.Url.Contains("/api/templates/manifest?since=", StringComparison.Ordinal));
            await page.ClickAsync("#sync");
            Assert.EndsWith("since=" + version.ToString(CultureInfo.InvariantCulture), (await request).Url, StringComparison.Ordinal);
        }
        finally
        {
            await ScreenshotAsync(page, "demo-page-templates.png");
        }
    }

    /// <summary>
    /// The "make a video" panel: two photos chosen in the page go up, the selected template is rendered with them on the
    /// server, and the page plays the video (from while it renders) as it plays an upload.
    /// </summary>
    [Fact]
    public async Task DemoPage_MakeAVideo_RendersTheTemplateWithThePhotos_AndPlaysIt()
    {
        using var admin = session.App.CreateClient().AsOperator();
        var id = TemplateTestData.UniqueId("demo-render");
        await TemplateTestData.RegisterAssetsAsync(admin);
        var template = System.Text.Json.Nodes.JsonNode.Parse(TemplateTestData.Template(id))!.AsObject();
        template.Remove("music"); // no resource to store: the dissolves and zooms alone
        template.Remove("tracks");
        await TemplateTestData.PutAndPublishAsync(admin, id, template.ToJsonString());
        var folder = Directory.CreateTempSubdirectory("demo-photos-").FullName;
        var photos = new[] { Path.Combine(folder, "red.jpg"), Path.Combine(folder, "blue.jpg") };
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "color=c=red:s=480x640", "-frames:v", "1", photos[0]]);
        await TestClips.RunFfmpegAsync(["-y", "-f", "lavfi", "-i", "color=c=blue:s=640x480", "-frames:v", "1", photos[1]]);
        var page = await NewPageAsync();
        try
        {
            await SignInAsync(page, "render-" + Guid.NewGuid().ToString("N")[..8]);
            await page.ClickAsync("#sync");
            await page.ClickAsync($".template[data-id='{id}']", new() { Timeout = 10_000 });

            await page.SetInputFilesAsync("#photos", photos);
            await page.ClickAsync("#render");
            await page.WaitForSelectorAsync("body[data-video-status=Ready]", new() { Timeout = 180_000 });
            Assert.Equal(await page.EvaluateAsync<string>("() => document.body.dataset.renderVideoId"), await page.EvaluateAsync<string>("() => window.demo.videoId"));

            await page.EvaluateAsync("() => { const v = document.getElementById('video'); v.loop = true; return v.play(); }");
            await WaitForPlayedAsync(page, 1.0);
            Assert.Contains("Rendered", await page.TextContentAsync("#render-text"), StringComparison.Ordinal);
        }
        finally
        {
            await ScreenshotAsync(page, "demo-page-render.png");
            Directory.Delete(folder, recursive: true);
        }
    }

    /// <summary>
    /// Draws the two characters of its argument on a canvas with the page's sans-serif font and compares the pixels:
    /// without a font covering them both are the same missing-glyph box (or nothing), with one they differ.
    /// </summary>
    private const string DrawsDistinctGlyphs = """
        pair => {
          const canvas = Object.assign(document.createElement('canvas'), { width: 64, height: 64 });
          const g = canvas.getContext('2d', { willReadFrequently: true });
          const draw = ch => { g.clearRect(0, 0, 64, 64); g.font = '48px sans-serif'; g.fillText(ch, 4, 52); return g.getImageData(0, 0, 64, 64).data.join(); };
          return draw(pair[0]) !== draw(pair[1]);
        }
        """;

    private async Task<IPage> NewPageAsync()
    {
        var context = await session.Browser.NewContextAsync(new() { BaseURL = session.App.BaseAddress.ToString(), ViewportSize = new() { Width = 1280, Height = 1100 } });
        var page = await context.NewPageAsync();
        page.Console += (_, message) => output.WriteLine($"[browser {message.Type}] {message.Text}");
        page.PageError += (_, error) => output.WriteLine($"[browser error] {error}");
        await page.GotoAsync("/");
        Assert.True(await page.EvaluateAsync<bool>("() => typeof Hls === 'function' && Hls.isSupported()"), "hls.js was not served with the page (functions/Web: npm ci).");

        // The page's first look (sign-in as the default user, manifest sync, newest Ready clip) ends before the test acts.
        await page.WaitForSelectorAsync("body[data-first-look=done]", new() { State = WaitForSelectorState.Attached, Timeout = 30_000 });
        return page;
    }

    private static async Task SignInAsync(IPage page, string user)
    {
        await page.FillAsync("#user", user);
        await page.ClickAsync("#signin button");
        await page.WaitForSelectorAsync($"body[data-signed-in=true][data-user='{user}']", new() { State = WaitForSelectorState.Attached, Timeout = 10_000 });
    }

    /// <summary>
    /// Waits until the video has played <paramref name="seconds"/> more seconds of media (summed from timeupdate steps, so a
    /// loop back to the start still counts) and is not stalled; returns the seconds played since the page loaded.
    /// </summary>
    private static async Task<double> WaitForPlayedAsync(IPage page, double seconds)
    {
        var from = await page.EvaluateAsync<double>("""
            () => {
              const v = document.getElementById('video');
              if (window.__played === undefined) {
                window.__played = 0;
                let last = v.currentTime;
                v.addEventListener('timeupdate', () => {
                  const step = v.currentTime - last;
                  if (step > 0 && step < 1) window.__played += step;
                  last = v.currentTime;
                });
              }
              return window.__played;
            }
            """);
        var target = (from + seconds).ToString(CultureInfo.InvariantCulture);
        await page.WaitForFunctionAsync($"() => !document.getElementById('video').paused && window.__played >= {target}", null, new() { Timeout = 30_000, PollingInterval = 100 });
        return await page.EvaluateAsync<double>("() => window.__played");
    }

    private async Task ScreenshotAsync(IPage page, string name)
    {
        var folder = Path.Combine(BrowserSession.ResultsDirectory, "screenshots");
        Directory.CreateDirectory(folder);
        var path = Path.Combine(folder, name);
        await page.ScreenshotAsync(new() { Path = path, FullPage = true });
        output.WriteLine("Screenshot: " + path);
        await page.Context.CloseAsync();
    }
}
