using System.ComponentModel.DataAnnotations;

namespace Serverless.LocalHost.Runtime;

/// <summary>The local runtime that stands in for the Functions host on a developer machine (section <c>LocalRuntime</c>).</summary>
public sealed class LocalRuntimeOptions
{
    public const string SectionName = "LocalRuntime";

    /// <summary>Run queue listeners, timers and the upload watcher when no Functions host is present. Default true.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How often the upload watcher lists the uploads container. Default 2 s.</summary>
    [Range(0.1, 300)]
    public double UploadWatchIntervalSeconds { get; set; } = 2;

    /// <summary>How long a received queue message stays hidden while its handler runs (renewed at half of it). Default 60 s.</summary>
    [Range(5, 3600)]
    public int MessageLeaseSeconds { get; set; } = 60;

    /// <summary>Shortest queue polling interval; doubles while a queue is empty up to host.json's maxPollingInterval. Default 0.2 s.</summary>
    [Range(0.05, 60)]
    public double MinPollingIntervalSeconds { get; set; } = 0.2;

    /// <summary>Queue messages handled at once per queue function. Default 2 (the machines have two cores; ffmpeg uses both).</summary>
    [Range(1, 32)]
    public int Concurrency { get; set; } = 2;
}
