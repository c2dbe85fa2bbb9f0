using System.Globalization;

namespace Serverless.Media;

/// <summary>What a short look at the source says about it, measured by <c>PerTitleLadderPlanner</c>.</summary>
/// <param name="SampleSeconds">How much of the clip the lowest rung's sample covered.</param>
/// <param name="SampleBytes">Bytes of the lowest rung's sample, encoded at the per-title quality with the production preset.</param>
/// <param name="TopSampleSeconds">How much the top rung's sample covered (0 for a one-rung ladder).</param>
/// <param name="TopSampleBytes">Bytes of the top rung's sample, encoded the same way.</param>
/// <param name="Similarities">For each pair of rungs, how much of the upper rung's picture the lower one already holds.</param>
public sealed record LadderAnalysis(double SampleSeconds, long SampleBytes, double TopSampleSeconds, long TopSampleBytes, IReadOnlyList<RungSimilarity> Similarities)
{
    /// <summary>The lowest rung's bit rate at constant quality over the sample (kbit/s).</summary>
    public double SampleKbps => Kbps(SampleBytes, SampleSeconds);

    /// <summary>The top rung's bit rate at constant quality over its sample (kbit/s); NaN when there was none.</summary>
    public double TopSampleKbps => TopSampleSeconds > 0 ? Kbps(TopSampleBytes, TopSampleSeconds) : double.NaN;

    /// <summary>Each rung's estimated bit rate at constant quality (kbit/s): see <see cref="PerTitleLadder"/>.</summary>
    public double EstimateKbps(IReadOnlyList<Rendition> ladder, int rung)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        var lowest = SampleKbps;
        if (rung == 0 || ladder.Count < 2 || double.IsNaN(TopSampleKbps))
        {
            return lowest;
        }

        var top = TopSampleKbps;
        var pixels = (double)ladder[0].Width * ladder[0].Height;
        var exponent = Math.Log(top / lowest) / Math.Log((double)ladder[^1].Width * ladder[^1].Height / pixels);
        return lowest * Math.Pow(ladder[rung].Width * ladder[rung].Height / pixels, exponent);
    }

    public override string ToString() => string.Join(", ", Similarities.Select(s => s.ToString()));

    private static double Kbps(long bytes, double seconds) => seconds > 0 ? bytes * 8 / 1000.0 / seconds : double.PositiveInfinity;
}

/// <summary>
/// SSIM of the source at rung <paramref name="Upper"/>'s size against the same frames scaled to rung <paramref name="Lower"/>'s
/// size and back up (what a player shows when it plays the lower rung full size); 1 means identical.
/// </summary>
public sealed record RungSimilarity(int Lower, int Upper, double Ssim)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Lower}→{Upper} {Ssim:0.0000}");
}

/// <summary>
/// Turns the fixed ladder (<see cref="LadderPlanner"/>) into a per-title one from a <see cref="LadderAnalysis"/>. Pure.
/// </summary>
/// <remarks>
/// <para>Rates: the lowest and the top rung are sampled at constant quality (<c>-crf</c>, the transcode's preset and keyframe
/// interval), and the rungs between are estimated on the line through both in log(bit rate) over log(pixels): content with
/// fine detail costs more than its share of pixels at a higher rung, soft content less. A rung whose estimate is below
/// <see cref="ConstantQualityShare"/> of its fixed rate is simpler than the ladder was sized for: it is encoded at that
/// constant quality with its fixed rate as the VBV cap (<c>-crf</c> + <c>-maxrate</c> = the fixed average + the fixed buffer),
/// spending what its picture needs and never more than the fixed ladder's average. A rung at or above the share keeps the
/// fixed ladder's capped VBR: constant quality would ride the cap there and cost more than the fixed rate's undershoot.</para>
/// <para>Rungs: a rung whose picture the kept rung below it already holds (<see cref="SameLookSsim"/> or more, e.g. an
/// upscaled or soft source) adds bytes and nothing visible, and is left out; the lowest rung always stays.</para>
/// </remarks>
public static class PerTitleLadder
{
    /// <summary>Below this share of the lowest rung's fixed rate, the ladder is encoded at constant quality.</summary>
    public const double ConstantQualityShare = 0.85;

    /// <summary>Round-trip SSIM at or above which a rung does not differ visibly from the kept rung below it.</summary>
    public const double SameLookSsim = 0.9975;

    /// <summary>Share of the clip the sample covers, in whole keyframe intervals.</summary>
    private const double SampleShare = 0.12;

    private const int MaxWindows = 6;

    /// <summary>
    /// Where the sample is taken: windows one keyframe interval long (so the sample has the transcode's GOP structure),
    /// spread evenly over the clip, covering about <see cref="SampleShare"/> of it (at least one window, at most six).
    /// </summary>
    public static IReadOnlyList<(double Start, double Length)> SampleWindows(double durationSeconds, double keyframeIntervalSeconds)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(keyframeIntervalSeconds);
        if (!(durationSeconds > keyframeIntervalSeconds))
        {
            return [(0, Math.Max(durationSeconds, 0))];
        }

        var count = Math.Clamp((int)Math.Round(durationSeconds * SampleShare / keyframeIntervalSeconds), 1, MaxWindows);
        var windows = new List<(double, double)>(count);
        for (var k = 0; k < count; k++)
        {
            var center = durationSeconds * (k + 0.5) / count;
            var start = Math.Clamp(center - (keyframeIntervalSeconds / 2), 0, durationSeconds - keyframeIntervalSeconds);
            windows.Add((Math.Round(start, 3), keyframeIntervalSeconds));
        }

        return windows;
    }

    /// <summary>The per-title ladder: the rungs worth keeping, each with its rate control (see the remarks).</summary>
    public static IReadOnlyList<Rendition> Apply(IReadOnlyList<Rendition> ladder, LadderAnalysis analysis, int crf)
    {
        ArgumentNullException.ThrowIfNull(ladder);
        ArgumentNullException.ThrowIfNull(analysis);
        if (ladder.Count == 0)
        {
            throw new ArgumentException("The ladder is empty.", nameof(ladder));
        }

        var kept = new List<int> { 0 };
        for (var upper = 1; upper < ladder.Count; upper++)
        {
            var lower = kept[^1];
            var similarity = analysis.Similarities.FirstOrDefault(s => s.Lower == lower && s.Upper == upper);
            if (similarity is null || similarity.Ssim < SameLookSsim)
            {
                kept.Add(upper);
            }
        }

        return [.. kept.Select(i => analysis.EstimateKbps(ladder, i) < ConstantQualityShare * ladder[i].VideoBitrateKbps
            ? ConstantQuality(ladder[i], crf)
            : ladder[i])];
    }

    /// <summary>One line for the log: each rung with its rate control, e.g. <c>360p crf 21 ≤800k, 720p crf 21 ≤2800k</c>.</summary>
    public static string Describe(IReadOnlyList<Rendition> ladder) =>
        string.Join(", ", ladder.Select(r => r.Crf is { } crf
            ? string.Create(CultureInfo.InvariantCulture, $"{r.Name} crf {crf} ≤{r.MaxRateKbps}k")
            : string.Create(CultureInfo.InvariantCulture, $"{r.Name} {r.VideoBitrateKbps}k")));

    /// <summary>
    /// The rung at constant quality, capped at its fixed average rate with its fixed buffer. <see cref="Rendition.VideoBitrateKbps"/>
    /// stays the fixed rate: an upper bound of the average, which is what a growing master playlist announces.
    /// </summary>
    private static Rendition ConstantQuality(Rendition rung, int crf) =>
        rung with { Crf = crf, MaxRateKbps = rung.VideoBitrateKbps };
}
