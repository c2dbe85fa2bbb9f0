using System.Globalization;
using System.Text;

namespace Serverless.Rendering;

/// <summary>The local files a plan is drawn from: the user's images by index, sticker images by URL, the music.</summary>
/// <param name="Images">The user's images in order, already validated and re-encoded (PNG, JPEG or WebP by extension).</param>
/// <param name="Assets">Local copies of the template's sticker images, keyed by the URL the template names.</param>
/// <param name="Music">The music's local copy, or null for a silent video.</param>
public sealed record RenderInputs(IReadOnlyList<string> Images, IReadOnlyDictionary<string, string> Assets, string? Music);

/// <summary>
/// One ffmpeg run that draws a <see cref="RenderPlan"/>: each image decoded once, cover-fitted to the canvas and held as
/// a still (<c>loop</c>) for each segment that shows it; motion through <c>perspective</c> (sub-pixel, evaluated per
/// frame, the canvas size throughout); dissolves by fading the incoming picture in (<c>fade</c> on alpha) over the outgoing
/// one (<c>overlay</c>); segments joined frame-exact by <c>concat</c>;
/// stickers by <c>overlay</c> in their frame window; the music looped or cut and faded by <c>afade</c>. Pure.
/// </summary>
public static class RenderGraph
{
    /// <summary>The demuxers music may be read with: audio files and the containers audio comes in.</summary>
    public const string MusicDemuxers = "mp3,mov,ogg,wav,flac,aac,matroska";

    /// <summary>The arguments of the ffmpeg run writing <paramref name="output"/>: an H.264/AAC MP4 at
    /// <paramref name="crf"/>, or with <paramref name="stream"/> uncompressed pictures and PCM audio in Matroska, to be read
    /// as it is written (a named pipe the transcode reads: no encode and decode between the render and the ladder).</summary>
    public static IReadOnlyList<string> Arguments(RenderPlan plan, RenderInputs inputs, string output, string preset, int crf, bool stream = false)
    {
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(inputs);
        var arguments = new List<string> { "-hide_banner", "-nostdin", "-y", "-loglevel", "error", "-progress", "pipe:1" };
        var graph = new StringBuilder();
        var canvas = plan.Canvas;

        // The user's images: one input each, decoded once, split into one branch per segment that shows it.
        var uses = new Dictionary<int, int>();
        foreach (var index in plan.Segments.SelectMany(ImagesOf))
        {
            uses[index] = uses.GetValueOrDefault(index) + 1;
        }

        var inputIndex = 0;
        var imageInput = new Dictionary<int, int>();
        foreach (var index in uses.Keys.Order())
        {
            if (index < 0 || index >= inputs.Images.Count)
            {
                throw new ArgumentException($"The plan shows image {index}; {inputs.Images.Count} were given.", nameof(inputs));
            }

            arguments.AddRange(ImageInput(inputs.Images[index]));
            imageInput[index] = inputIndex++;
        }

        foreach (var (index, count) in uses.OrderBy(u => u.Key))
        {
            graph.Append(CultureInfo.InvariantCulture,
                $"[{imageInput[index]}:v]scale={canvas.Width}:{canvas.Height}:force_original_aspect_ratio=increase:flags=bicubic,")
                .Append(CultureInfo.InvariantCulture, $"crop={canvas.Width}:{canvas.Height},setsar=1,format=yuv420p,split={count}");
            for (var u = 0; u < count; u++)
            {
                graph.Append(CultureInfo.InvariantCulture, $"[img{index}_{u}]");
            }

            graph.Append(";\n");
        }

        var next = new Dictionary<int, int>();
        string Take(int image)
        {
            var u = next.GetValueOrDefault(image);
            next[image] = u + 1;
            return $"[img{image}_{u}]";
        }

        for (var s = 0; s < plan.Segments.Count; s++)
        {
            switch (plan.Segments[s])
            {
                case ImageSegment image:
                    graph.Append(Take(image.ImageIndex)).Append(Held(image.FrameCount, canvas)).Append(Moving(image.Motion, image.FrameCount))
                        .Append(CultureInfo.InvariantCulture, $"[seg{s}];\n");
                    break;
                case TransitionSegment transition:
                    graph.Append(Take(transition.FromImage)).Append(Held(transition.FrameCount, canvas)).Append(Moving(transition.From, transition.FrameCount))
                        .Append(CultureInfo.InvariantCulture, $"[seg{s}out];\n");
                    graph.Append(Take(transition.ToImage)).Append(Held(transition.FrameCount, canvas)).Append(Moving(transition.To, transition.FrameCount));

                    // The incoming picture's share is k / (count - 1) at frame k: the first frame is the outgoing picture, the
                    // last the incoming one, the middle one halfway. Faded in as alpha and laid over the outgoing picture: a
                    // linear mix per plane, with ffmpeg's table-driven fade and overlay (a per-pixel blend expression cost
                    // ten times more). A one-frame dissolve is the average.
                    if (transition.FrameCount > 1)
                    {
                        graph.Append(CultureInfo.InvariantCulture, $",format=yuva420p,fade=t=in:s=0:n={transition.FrameCount - 1}:alpha=1[seg{s}in];\n")
                            .Append(CultureInfo.InvariantCulture, $"[seg{s}out][seg{s}in]overlay=x=0:y=0:format=yuv420,format=yuv420p[seg{s}];\n");
                    }
                    else
                    {
                        graph.Append(CultureInfo.InvariantCulture, $"[seg{s}in];\n[seg{s}out][seg{s}in]blend=all_mode=average[seg{s}];\n");
                    }

                    break;
                default:
                    throw new NotSupportedException(plan.Segments[s].GetType().Name);
            }
        }

        for (var s = 0; s < plan.Segments.Count; s++)
        {
            graph.Append(CultureInfo.InvariantCulture, $"[seg{s}]");
        }

        graph.Append(CultureInfo.InvariantCulture, $"concat=n={plan.Segments.Count}:v=1:a=0[base0]");

        // Stickers: each its own input (an asset used twice is decoded twice: stickers are small), laid over in its window.
        var layer = 0;
        foreach (var sticker in plan.Stickers.Where(s => s.EndFrame > s.StartFrame))
        {
            if (!inputs.Assets.TryGetValue(sticker.ImageUrl, out var path))
            {
                throw new ArgumentException($"No local copy of the sticker image '{sticker.ImageUrl}' ({sticker.Where}).", nameof(inputs));
            }

            arguments.AddRange(ImageInput(path));
            var from = (sticker.StartFrame - 0.5) / canvas.FrameRate;
            var to = (sticker.EndFrame - 0.5) / canvas.FrameRate;
            graph.Append(CultureInfo.InvariantCulture, $";\n[{inputIndex}:v]scale={sticker.Width}:{sticker.Height},format=yuva420p[sticker{layer}];\n")
                .Append(CultureInfo.InvariantCulture, $"[base{layer}][sticker{layer}]overlay=x={sticker.X}:y={sticker.Y}:")
                .Append(CultureInfo.InvariantCulture, $"enable='between(t,{Number(from)},{Number(to)})'[base{layer + 1}]");
            inputIndex++;
            layer++;
        }

        graph.Append(CultureInfo.InvariantCulture, $";\n[base{layer}]format=yuv420p[video]");

        var duration = Number(plan.DurationSeconds);
        if (inputs.Music is { } music && plan.Music is { } track)
        {
            arguments.AddRange(["-protocol_whitelist", "file", "-format_whitelist", MusicDemuxers, "-stream_loop", "-1", "-i", "file:" + Path.GetFullPath(music)]);
            var fadeStart = Number(Math.Max(0, plan.DurationSeconds - track.FadeOutSeconds));
            graph.Append(CultureInfo.InvariantCulture,
                $";\n[{inputIndex}:a]aformat=sample_rates=48000:channel_layouts=stereo,atrim=0:{duration},asetpts=N/SR/TB,")
                .Append(CultureInfo.InvariantCulture, $"afade=t=out:st={fadeStart}:d={Number(track.FadeOutSeconds)}[audio]");
        }

        arguments.AddRange(["-filter_complex", graph.ToString(), "-map", "[video]"]);
        if (inputs.Music is not null && plan.Music is not null)
        {
            arguments.AddRange(["-map", "[audio]"]);
            arguments.AddRange(stream ? ["-c:a", "pcm_s16le"] : ["-c:a", "aac", "-b:a", "128k"]);
        }

        arguments.AddRange(stream
            ? ["-c:v", "rawvideo"]
            : ["-c:v", "libx264", "-preset", preset, "-crf", crf.ToString(CultureInfo.InvariantCulture), "-pix_fmt", "yuv420p",
                "-g", (plan.Canvas.FrameRate * 2).ToString(CultureInfo.InvariantCulture)]);
        arguments.AddRange([
            "-r", plan.Canvas.FrameRate.ToString(CultureInfo.InvariantCulture),
            "-frames:v", plan.TotalFrames.ToString(CultureInfo.InvariantCulture), "-t", duration,
        ]);
        arguments.AddRange(stream ? ["-f", "matroska", "file:" + output] : ["-movflags", "+faststart", "file:" + output]);
        return arguments;
    }

    /// <summary>A still image file read as itself only: the file protocol, the single-image demuxer, no sequence patterns.</summary>
    private static IEnumerable<string> ImageInput(string path) =>
        ["-protocol_whitelist", "file", "-f", "image2", "-pattern_type", "none", "-i", "file:" + Path.GetFullPath(path)];

    /// <summary>The one decoded picture repeated for <paramref name="frames"/> frames at the canvas rate, timed from 0.</summary>
    private static string Held(long frames, RenderCanvas canvas) =>
        string.Create(CultureInfo.InvariantCulture, $"loop=loop={frames - 1}:size=1:start=0,settb=1/{canvas.FrameRate},setpts=N");

    /// <summary>
    /// The motion as a <c>perspective</c> transform: the picture's corners placed where the scaled, moved picture's corners
    /// fall, evaluated per frame at the frame's middle, p = (k + 0.5) / frames (perspective's <c>in</c> counts from 1, so
    /// k + 0.5 = in - 0.5). Nothing for a still picture.
    /// </summary>
    private static string Moving(Motion motion, long frames)
    {
        if (motion.IsStill)
        {
            return string.Empty;
        }

        var p = string.Create(CultureInfo.InvariantCulture, $"((in-0.5)/{frames})");
        var s = $"({Number(motion.ScaleBegin)}+{Number(motion.ScaleRange)}*{p})";
        var dx = $"(W*({Number(motion.MoveBeginX)}+{Number(motion.MoveRangeX)}*{p}))";
        var dy = $"(H*({Number(motion.MoveBeginY)}+{Number(motion.MoveRangeY)}*{p}))";
        var left = $"W*(1-{s})/2+{dx}";
        var right = $"W*(1+{s})/2+{dx}";
        var top = $"H*(1-{s})/2+{dy}";
        var bottom = $"H*(1+{s})/2+{dy}";
        return $",perspective=x0='{left}':y0='{top}':x1='{right}':y1='{top}':x2='{left}':y2='{bottom}':x3='{right}':y3='{bottom}':sense=destination:eval=frame";
    }

    private static IEnumerable<int> ImagesOf(RenderSegment segment) => segment switch
    {
        ImageSegment image => [image.ImageIndex],
        TransitionSegment transition => [transition.FromImage, transition.ToImage],
        _ => [],
    };

    private static string Number(double value) => value.ToString("0.######", CultureInfo.InvariantCulture);
}
