using Serverless.Media;
using Serverless.Media.Posters;
using Serverless.Media.Probing;
using Serverless.Media.Processes;
using Serverless.Media.Transcoding;

namespace Serverless.UnitTests.Media;

public sealed class HlsArgumentsTests
{
    private static readonly Rendition Low = new("360p", 640, 360, 800, 1200, 1200, 96, "3.0");
    private static readonly Rendition High = new("720p", 1280, 720, 2800, 4200, 4200, 128, "3.1");

    [Fact]
    public void Build_TwoRungs_SingleDecodeSplitScaleAndHlsMuxer()
    {
        var request = new TranscodeRequest("/in/source.mp4", "/out/video", MediaSamples.Source(1920, 1080), [Low, High], HlsSegmentFormat.MpegTs);

        var args = HlsArguments.Build(request, "veryfast");

        Assert.Equal(1, args.Count(a => a == "-i"));
        Assert.Equal("file:/in/source.mp4", After(args, "-i"));
        Assert.Equal(
            "[0:v:0]split=4[s0][s1][s2][s3];[s0]scale=w=640:h=360,setsar=1[v0];[s1]scale=w=1280:h=720,setsar=1[v1]"
            + $";[s2]{PosterFrames.Chain(request.Source, 0)}[pe];[s3]{PosterFrames.Chain(request.Source, PosterFrames.RepresentativeStart(request.Source))}[pr]",
            After(args, "-filter_complex"));
        Assert.Equal(["[v0]", "0:a:0", "[v1]", "0:a:0", "[pe]", "[pr]"], Values(args, "-map"));
        Assert.Equal("pipe:1", After(args, "-progress"));
        Assert.Equal("libx264", After(args, "-c:v"));
        Assert.Equal("high", After(args, "-profile:v"));
        Assert.Equal("yuv420p", After(args, "-pix_fmt"));
        Assert.Equal("veryfast", After(args, "-preset"));
        Assert.Equal("0", After(args, "-sc_threshold"));
        Assert.Equal("+cgop", After(args, "-flags:v"));
        Assert.Equal("expr:gte(t,n_forced*2)", After(args, "-force_key_frames:v"));
        Assert.Equal("120", After(args, "-g"));
        Assert.Equal(("800k", "1200k", "1200k", "3.0"), (After(args, "-b:v:0"), After(args, "-maxrate:v:0"), After(args, "-bufsize:v:0"), After(args, "-level:v:0")));
        Assert.Equal(("2800k", "4200k", "4200k", "3.1"), (After(args, "-b:v:1"), After(args, "-maxrate:v:1"), After(args, "-bufsize:v:1"), After(args, "-level:v:1")));
        Assert.Equal(("aac", "aac_low", "2", "48000"), (After(args, "-c:a"), After(args, "-profile:a"), After(args, "-ac"), After(args, "-ar")));
        Assert.Equal(("96k", "128k"), (After(args, "-b:a:0"), After(args, "-b:a:1")));
        Assert.Equal("hls", After(args, "-f"));
        Assert.Equal("6", After(args, "-hls_time"));
        Assert.DoesNotContain("-hls_playlist_type", args);
        Assert.Equal("2", After(args, "-hls_init_time"));
        Assert.Equal("1", After(args, "-hls_list_size"));
        Assert.Equal("independent_segments+temp_file", After(args, "-hls_flags"));
        Assert.Equal("mpegts", After(args, "-hls_segment_type"));
        Assert.DoesNotContain("-hls_fmp4_init_filename", args);
        Assert.Equal("/out/video/%v/seg_%05d.ts", After(args, "-hls_segment_filename"));
        Assert.Equal("v:0,a:0,name:360p v:1,a:1,name:720p", After(args, "-var_stream_map"));
        Assert.Equal("/out/video/%v/index.m3u8", After(args, "v:0,a:0,name:360p v:1,a:1,name:720p"));
        Assert.True(args.ToList().IndexOf("/out/video/poster-early.jpg") > args.ToList().IndexOf("/out/video/%v/index.m3u8"), "the posters are outputs after the HLS one");
        Assert.Equal("/out/video/poster.jpg", args[^1]);
        Assert.Equal(2, args.Count(a => a == "-atomic_writing"));
        Assert.DoesNotContain("-threads", args);
    }

    [Fact]
    public void Build_NoAudio_VideoOnlyMapsAndVariants()
    {
        var request = new TranscodeRequest("/in/a.mp4", "/out", MediaSamples.Source(1280, 720, audio: false), [Low, High], HlsSegmentFormat.MpegTs);

        var args = HlsArguments.Build(request, "veryfast");

        Assert.Equal(["[v0]", "[v1]", "[pe]", "[pr]"], Values(args, "-map"));
        Assert.DoesNotContain("-c:a", args);
        Assert.Equal("v:0,name:360p v:1,name:720p", After(args, "-var_stream_map"));
    }

    [Fact]
    public void Build_Fmp4_InitSegmentAndM4sSegments()
    {
        var request = new TranscodeRequest("/in/a.mp4", "/out", MediaSamples.Source(640, 360), [Low], HlsSegmentFormat.Fmp4, 4, 1);

        var args = HlsArguments.Build(request, "fast");

        Assert.Equal("fmp4", After(args, "-hls_segment_type"));
        Assert.Equal("init.mp4", After(args, "-hls_fmp4_init_filename"));
        Assert.Equal("/out/%v/seg_%05d.m4s", After(args, "-hls_segment_filename"));
        Assert.Equal("4", After(args, "-hls_time"));
        Assert.Equal("expr:gte(t,n_forced*1)", After(args, "-force_key_frames:v"));
        Assert.StartsWith("[0:v:0]split=3[s0][s1][s2];[s0]scale=w=640:h=360,setsar=1[v0];[s1]trim=start=0:", After(args, "-filter_complex"));
        Assert.Equal("1", After(args, "-hls_init_time"));
    }

    [Fact]
    public void Build_FrameRateCap_FpsFilterBeforeScale()
    {
        var capped = High with { MaxFrameRate = 30 };
        var request = new TranscodeRequest("/in/a.mp4", "/out", MediaSamples.Source(1920, 1080, fps: 60), [Low, capped], HlsSegmentFormat.MpegTs);

        var args = HlsArguments.Build(request, "veryfast");

        Assert.StartsWith("[0:v:0]split=4[s0][s1][s2][s3];[s0]scale=w=640:h=360,setsar=1[v0];[s1]fps=30,scale=w=1280:h=720,setsar=1[v1];", After(args, "-filter_complex"));
        Assert.Equal("240", After(args, "-g"));
    }

    [Fact]
    public void Build_UrlInput_ReadTimeoutAndUrlVerbatim()
    {
        const string url = "http://127.0.0.1:10000/devstoreaccount1/uploads/a%20b.mp4?sv=2018&sig=x%2By&se=2026";
        var request = new TranscodeRequest(url, "/out", MediaSamples.Source(640, 360), [Low], HlsSegmentFormat.MpegTs);

        var args = HlsArguments.Build(request, "veryfast");

        Assert.Equal(url, After(args, "-i"));
        Assert.Equal("30000000", After(args, "-rw_timeout"));
        Assert.Equal("http,tcp", After(args, "-protocol_whitelist"));
        Assert.Equal("mov,matroska,mpegts,mpeg,avi", After(args, "-format_whitelist"));
        Assert.True(args.ToList().IndexOf("-rw_timeout") < args.ToList().IndexOf("-i"));
    }

    [Fact]
    public void Build_Source441kHzMono_KeepsRateUpmixesStereo()
    {
        var source = MediaSamples.Source(640, 360) with { Audio = new AudioStreamInfo("aac", 1, 44100, null) };

        var args = HlsArguments.Build(new TranscodeRequest("/a.mp4", "/out", source, [Low], HlsSegmentFormat.MpegTs), "veryfast");

        Assert.Equal(("44100", "2"), (After(args, "-ar"), After(args, "-ac")));
    }

    [Fact]
    public void Build_InvariantCulture_DecimalPoints()
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo("fr-FR");
        try
        {
            var args = HlsArguments.Build(new TranscodeRequest("/a.mp4", "/out", MediaSamples.Source(640, 360), [Low], HlsSegmentFormat.MpegTs, 4.5, 1.5), "veryfast");

            Assert.Equal("4.5", After(args, "-hls_time"));
            Assert.Equal("expr:gte(t,n_forced*1.5)", After(args, "-force_key_frames:v"));
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    public static TheoryData<string> InvalidRequests => new() { "empty", "percent", "odd", "name", "duplicate", "rates", "keyframe" };

    [Theory]
    [MemberData(nameof(InvalidRequests))]
    public void Build_InvalidRequest_Throws(string kind)
    {
        var source = MediaSamples.Source(1280, 720);
        var request = kind switch
        {
            "empty" => new TranscodeRequest("/a.mp4", "/out", source, [], HlsSegmentFormat.MpegTs),
            "percent" => new TranscodeRequest("/a.mp4", "/out/100%", source, [Low], HlsSegmentFormat.MpegTs),
            "odd" => new TranscodeRequest("/a.mp4", "/out", source, [Low with { Width = 641 }], HlsSegmentFormat.MpegTs),
            "name" => new TranscodeRequest("/a.mp4", "/out", source, [Low with { Name = "../x" }], HlsSegmentFormat.MpegTs),
            "duplicate" => new TranscodeRequest("/a.mp4", "/out", source, [Low, Low], HlsSegmentFormat.MpegTs),
            "rates" => new TranscodeRequest("/a.mp4", "/out", source, [Low with { MaxRateKbps = 100 }], HlsSegmentFormat.MpegTs),
            _ => new TranscodeRequest("/a.mp4", "/out", source, [Low], HlsSegmentFormat.MpegTs, 2, 3),
        };

        Assert.Throws<ArgumentException>(() => HlsArguments.Build(request, "veryfast"));
    }

    /// <summary>
    /// The exact command for a 30 s 1080p30 source through the default ladder, as <c>tests/benchmarks/ladder-quality.sh</c> runs it
    /// (one argument per line; <c>file:/bench/source.mp4</c> and <c>/bench/out</c> are placeholders the script replaces).
    /// </summary>
    [Fact]
    public void Build_Default1080p30Ladder_MatchesBenchmarkCommand()
    {
        var source = MediaSamples.Source(1920, 1080, duration: 30);
        var ladder = LadderPlanner.Plan(source, new MediaOptions());
        var args = HlsArguments.Build(new TranscodeRequest("/bench/source.mp4", "/bench/out", source, ladder, HlsSegmentFormat.MpegTs), new MediaOptions().Preset);

        var path = Path.Combine(RepositoryRoot(), "tests", "benchmarks", "ladder-1080p30.args");
        var expected = File.ReadAllLines(path);

        Assert.True(expected.SequenceEqual(args), $"Update {path} with:\n{string.Join('\n', args)}");
    }

    [Fact]
    public void ProbeArguments_LocalPath_JsonFormatAndStreams()
    {
        Assert.Equal(
            ["-hide_banner", "-v", "error", "-print_format", "json", "-show_format", "-show_streams", "-i", "file:/data/-odd:name.mp4"],
            FfprobeMediaProbe.BuildArguments("/data/-odd:name.mp4", untrusted: false));
    }

    [Fact]
    public void ProbeArguments_Upload_OnlyItsProtocolAndVideoContainers()
    {
        Assert.Equal(
            ["-hide_banner", "-v", "error", "-print_format", "json", "-show_format", "-show_streams",
                "-protocol_whitelist", "file", "-format_whitelist", "mov,matroska,mpegts,mpeg,avi", "-i", "file:/data/-odd:name.mp4"],
            FfprobeMediaProbe.BuildArguments("/data/-odd:name.mp4", untrusted: true));
    }

    [Theory]
    [InlineData("http://127.0.0.1:10000/devstoreaccount1/uploads/v/source?sig=x", "http,tcp")]
    [InlineData("https://account.blob.core.windows.net/uploads/v/source?sig=x", "https,tls,tcp")]
    [InlineData("HTTPS://account.blob.core.windows.net/uploads/v/source?sig=x", "https,tls,tcp")]
    [InlineData("/work/source.mp4", "file")]
    public void MediaInput_Source_WhitelistsItsOwnProtocolAndRealContainersOnly(string input, string protocols)
    {
        var args = MediaInput.Source(input);

        Assert.Equal(protocols, After(args, "-protocol_whitelist"));
        Assert.Equal(SourceFormats.Demuxers, After(args, "-format_whitelist"));
        Assert.True(args.ToList().IndexOf("-format_whitelist") < args.ToList().IndexOf("-i"));
        Assert.True(args.ToList().IndexOf("-protocol_whitelist") < args.ToList().IndexOf("-i"));
    }

    [Fact]
    public void MediaInput_RelativePath_MadeAbsolute()
    {
        var args = MediaInput.Arguments("clip.mp4");

        Assert.Equal("file:" + Path.GetFullPath("clip.mp4"), args[^1]);
    }

    [Fact]
    public void PosterFrames_Landscape1080p_ThumbnailAtAThirdScaledTo720Wide()
    {
        var source = MediaSamples.Source(1920, 1080, duration: 30);

        Assert.Equal(10, PosterFrames.RepresentativeStart(source), 3);
        Assert.Equal("trim=start=10:duration=1.05,thumbnail=30,scale=w=720:h=404,setsar=1", PosterFrames.Chain(source, PosterFrames.RepresentativeStart(source)));
        Assert.Equal("trim=start=0:duration=1.05,thumbnail=30,scale=w=720:h=404,setsar=1", PosterFrames.Chain(source, 0));
    }

    [Fact]
    public void PosterFrames_RotatedPortrait_DisplaySize()
    {
        var source = MediaSamples.Source(1920, 1080, rotation: 90, duration: 3);

        Assert.Equal(1, PosterFrames.RepresentativeStart(source), 3);
        Assert.EndsWith("scale=w=720:h=1280,setsar=1", PosterFrames.Chain(source, 1));
    }

    [Fact]
    public void PosterFrames_SmallShortSource_NotUpscaledStartsAtZero()
    {
        var source = MediaSamples.Source(320, 180, duration: 0.5);

        Assert.Equal(0, PosterFrames.RepresentativeStart(source));
        Assert.EndsWith("scale=w=320:h=180,setsar=1", PosterFrames.Chain(source, 0));
    }

    [Fact]
    public void PosterFrames_Output_OneAtomicJpeg()
    {
        var args = PosterFrames.Output("[pr]", "/out/poster.jpg");

        Assert.Equal(["-map", "[pr]", "-frames:v", "1", "-qmin", "3", "-qmax", "3", "-c:v", "mjpeg", "-pix_fmt", "yuvj420p", "-f", "image2", "-update", "1", "-atomic_writing", "1", "/out/poster.jpg"], args);
    }

    private static string After(IReadOnlyList<string> args, string name)
    {
        var index = args.ToList().IndexOf(name);
        Assert.True(index >= 0 && index + 1 < args.Count, $"{name} missing");
        return args[index + 1];
    }

    private static List<string> Values(IReadOnlyList<string> args, string name) =>
        args.Select((a, i) => (a, i)).Where(p => p.a == name).Select(p => args[p.i + 1]).ToList();

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Serverless.sln not found above the test output.");
    }
}
