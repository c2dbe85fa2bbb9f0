using Microsoft.Extensions.Configuration;

namespace Serverless.Functions;

/// <summary>
/// The app settings the Functions host reads in trigger attributes (<c>%Section:Key%</c>). The host resolves them against
/// its configuration, where an app setting <c>Section__Key</c> is the key <c>Section:Key</c>; it knows nothing of the
/// app's own defaults, so each must be a real app setting (local.settings.json locally, the Bicep in Azure). A missing
/// one stops the app at start-up, naming it, under either host (the Functions host would only disable the function).
/// </summary>
public static class BindingSettings
{
    /// <summary>The queue Event Grid delivers the uploads container's BlobCreated events to (<c>OnVideoUploaded</c>).</summary>
    public const string UploadQueue = "Pipeline:UploadQueue";

    /// <summary>NCRONTAB schedule of <c>SweepPipelines</c>.</summary>
    public const string SweepSchedule = "Pipeline:SweepSchedule";

    /// <summary>NCRONTAB schedule of <c>RetrainRecommender</c>.</summary>
    public const string RetrainSchedule = "Recommendations:RetrainSchedule";

    public const string UploadQueueExpression = "%" + UploadQueue + "%";

    public const string SweepScheduleExpression = "%" + SweepSchedule + "%";

    public const string RetrainScheduleExpression = "%" + RetrainSchedule + "%";

    public static IReadOnlyList<string> All { get; } = [UploadQueue, SweepSchedule, RetrainSchedule];

    /// <summary>Throws naming every binding setting that is not set.</summary>
    public static void Validate(IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        var missing = All.Where(key => string.IsNullOrWhiteSpace(configuration[key])).Select(key => key.Replace(":", "__", StringComparison.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            throw new InvalidOperationException(
                $"App setting(s) {string.Join(", ", missing)} not set: the Functions host resolves them in trigger attributes and has no default for them (see local.settings.sample.json).");
        }
    }
}

/// <summary>Stops the app at start-up when a <see cref="BindingSettings"/> entry is missing.</summary>
internal sealed class BindingSettingsCheck(IConfiguration configuration) : Microsoft.Extensions.Hosting.IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        BindingSettings.Validate(configuration);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
