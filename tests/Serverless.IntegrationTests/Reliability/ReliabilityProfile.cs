namespace Serverless.IntegrationTests.Reliability;

/// <summary>
/// How big the reliability scenarios are. CI runs the short profile with every test; <c>./dev.sh reliability</c>
/// sets <c>RELIABILITY_PROFILE=full</c> and runs only these scenarios, at the sizes issue 8 asks for.
/// </summary>
public sealed record ReliabilityProfile(
    string Name,
    int BurstUploads,
    int CrashRuns,
    TimeSpan OutageLength,
    int OutageEvents,
    TimeSpan LoadDuration,
    TimeSpan LoadCalibrationStep,
    TimeSpan LoadUploadInterval,
    int DiskPressureRuns,
    int StuckVideos)
{
    public static ReliabilityProfile Short { get; } = new("short", BurstUploads: 10, CrashRuns: 3, OutageLength: TimeSpan.FromSeconds(10), OutageEvents: 300, LoadDuration: TimeSpan.FromSeconds(20), LoadCalibrationStep: TimeSpan.FromSeconds(2), LoadUploadInterval: TimeSpan.FromSeconds(3), DiskPressureRuns: 1, StuckVideos: 4);

    public static ReliabilityProfile Full { get; } = new("full", BurstUploads: 50, CrashRuns: 20, OutageLength: TimeSpan.FromSeconds(30), OutageEvents: 3000, LoadDuration: TimeSpan.FromMinutes(10), LoadCalibrationStep: TimeSpan.FromSeconds(5), LoadUploadInterval: TimeSpan.FromSeconds(5), DiskPressureRuns: 5, StuckVideos: 20);

    /// <summary><c>RELIABILITY_PROFILE=full</c> selects <see cref="Full"/>; anything else the short one.</summary>
    public static ReliabilityProfile Current { get; } =
        string.Equals(Environment.GetEnvironmentVariable("RELIABILITY_PROFILE"), "full", StringComparison.OrdinalIgnoreCase) ? Full : Short;
}
