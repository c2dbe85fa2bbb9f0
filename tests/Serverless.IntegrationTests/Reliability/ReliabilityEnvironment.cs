using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Serverless.IntegrationTests.Infrastructure;
using Serverless.Media;
using Serverless.Pipeline;
using Serverless.Storage;
using Serverless.Videos;

namespace Serverless.IntegrationTests.Reliability;

/// <summary>An upload a scenario made, and whether it was deliberately bad (so Failed is the expected outcome).</summary>
public sealed record UploadedVideo(string VideoId, string User, bool ExpectFailure = false);

/// <summary>What <see cref="ReliabilityEnvironment.AuditAsync"/> found. <see cref="Problems"/> names every defect, one line each.</summary>
public sealed record AuditResult(int Ready, int FailedExpected, int FailedUnexpected, int Lost, int Duplicated, IReadOnlyList<string> Problems);

/// <summary>
/// One scenario's world: a storage account of its own (so the audit sees only its own blobs and messages; on an Azurite of
/// its own when the scenario stops storage or measures the emulator), work folders per app instance, and the app started
/// as real processes that can be killed.
/// </summary>
public sealed class ReliabilityEnvironment : IAsyncDisposable
{
    /// <summary>Fast failure detection, so a scenario's recoveries take seconds (production keeps the defaults).</summary>
    public static IReadOnlyDictionary<string, string> FastRecovery { get; } = new Dictionary<string, string>
    {
        ["LocalRuntime:MessageLeaseSeconds"] = "5",

        // A killed instance's running activity comes back once its work-item message's visibility lapses (renewed only
        // while its process lives); its orchestrations once their partition leases lapse.
        [DurableSetting("storageProvider:workItemQueueVisibilityTimeout")] = "00:00:10",
        ["Pipeline:RetryBaseDelaySeconds"] = "0.2",
    };

    /// <summary>The app setting that overrides host.json's <c>extensions.durableTask.{key}</c> (colon-separated path).</summary>
    public static string DurableSetting(string key) => "AzureFunctionsJobHost:extensions:durableTask:" + key;

    private readonly List<AppProcess> _apps = [];
    private readonly HashSet<string> _workDirectories = new(StringComparer.Ordinal);
    private FunctionsAppFactory? _reader;

    private readonly bool _ownsAzurite;

    private ReliabilityEnvironment(AzuriteAccount storage, bool ownsAzurite, string root)
    {
        Storage = storage;
        _ownsAzurite = ownsAzurite;
        Root = root;
    }

    /// <summary>The scenario's storage account.</summary>
    public AzuriteAccount Storage { get; }

    /// <summary>The emulator serving <see cref="Storage"/>: the scenario's own when it asked for one (it may stop it then).</summary>
    public AzuriteProcess Azurite => Storage.Process;

    public string ConnectionString => Storage.ConnectionString;

    /// <summary>Temp root of this scenario: <c>work/{instance}</c> are the apps' work folders.</summary>
    public string Root { get; }

    /// <param name="ownAzurite">An Azurite of the scenario's own (it stops storage, or measures the emulator's CPU).</param>
    /// <param name="inMemoryStorage">That Azurite without disk persistence (a scenario that never restarts it and writes a lot).</param>
    public static async Task<ReliabilityEnvironment> StartAsync(bool ownAzurite = false, bool inMemoryStorage = false)
    {
        var root = Directory.CreateTempSubdirectory("reliability-").FullName;
        if (!ownAzurite)
        {
            return new ReliabilityEnvironment(await AzuriteFixture.NewAccountAsync(), ownsAzurite: false, root);
        }

        var azurite = new AzuriteProcess { InMemory = inMemoryStorage };
        await azurite.InitializeAsync();
        return new ReliabilityEnvironment(new AzuriteAccount(azurite, AzuriteProcess.AccountName, AzuriteProcess.AccountKey), ownsAzurite: true, root);
    }

    public string WorkDirectory(string instance) => Path.Combine(Root, "work", instance);

    /// <summary>
    /// Starts an app instance as its own process on this scenario's storage, with <see cref="FastRecovery"/>, its own
    /// work folder, and <paramref name="settings"/> on top. Instances with the same name share a work folder (a restart).
    /// </summary>
    public async Task<AppProcess> StartAppAsync(string instance = "a", IReadOnlyDictionary<string, string>? settings = null)
    {
        var all = new Dictionary<string, string>(FastRecovery) { ["Media:WorkDirectory"] = WorkDirectory(instance) };
        foreach (var (key, value) in settings ?? new Dictionary<string, string>())
        {
            all[key] = value;
        }

        _workDirectories.Add(all["Media:WorkDirectory"]);
        var app = await AppProcess.StartAsync(ConnectionString, all);
        _apps.Add(app);
        return app;
    }

    /// <summary>Storage seen from outside the apps (an app instance with the local runtime off, never started as a server).</summary>
    public IServiceProvider Services
    {
        get
        {
            _reader ??= new FunctionsAppFactory(ConnectionString, new Dictionary<string, string?>
            {
                ["LocalRuntime:Enabled"] = "false",
                ["Media:WorkDirectory"] = Path.Combine(Root, "reader"),
            });
            _ = _reader.Server;
            return _reader.Services;
        }
    }

    public IBlobStore Blobs => Services.GetRequiredService<IBlobStore>();

    public IQueueStore Queues => Services.GetRequiredService<IQueueStore>();

    internal VideoRepository Videos => Services.GetRequiredService<VideoRepository>();

    /// <summary>Creates an upload and PUTs <paramref name="clip"/> to its SAS URL, as the mini-program does.</summary>
    public static async Task<UploadedVideo> UploadAsync(HttpClient client, string user, string clip, bool expectFailure = false, CancellationToken cancellationToken = default)
    {
        var response = await client.PostAsJsonAsync("/api/uploads", new { fileName = "clip.mp4", contentType = "video/mp4", sizeBytes = new FileInfo(clip).Length }, cancellationToken);
        if (response.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"POST /api/uploads answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        var created = await response.Content.ReadFromJsonAsync<JsonElement>(cancellationToken);
        using var http = new HttpClient();
        using var put = new HttpRequestMessage(HttpMethod.Put, created.GetProperty("uploadUrl").GetString())
        {
            Content = new ByteArrayContent(await File.ReadAllBytesAsync(clip, cancellationToken)),
        };
        put.Headers.Add("x-ms-blob-type", "BlockBlob");
        var stored = await http.SendAsync(put, cancellationToken);
        if (stored.StatusCode != HttpStatusCode.Created)
        {
            throw new InvalidOperationException($"The SAS PUT answered {(int)stored.StatusCode}.");
        }

        return new UploadedVideo(created.GetProperty("videoId").GetString()!, user, expectFailure);
    }

    /// <summary>
    /// Waits until every video is Ready or Failed (read from storage, tolerating storage being down meanwhile) and
    /// returns how long that took; throws with the stragglers' states after <paramref name="timeout"/>.
    /// </summary>
    public async Task<TimeSpan> WaitForTerminalAsync(IEnumerable<string> videoIds, TimeSpan timeout)
    {
        var pending = new HashSet<string>(videoIds, StringComparer.Ordinal);
        var clock = Stopwatch.StartNew();
        var last = new Dictionary<string, string>(StringComparer.Ordinal);
        while (pending.Count > 0)
        {
            foreach (var id in pending.ToList())
            {
                try
                {
                    var video = await Videos.GetAsync(id, default);
                    last[id] = video is null ? "missing" : $"{video.Status}/{video.Stage}/{video.Progress:0}";
                    if (video?.Status is VideoStatus.Ready or VideoStatus.Failed)
                    {
                        pending.Remove(id);
                    }
                }
                catch (StorageException)
                {
                }
            }

            if (pending.Count > 0)
            {
                if (clock.Elapsed > timeout)
                {
                    throw new TimeoutException($"{pending.Count} video(s) not terminal after {timeout}: " +
                        string.Join(", ", pending.Select(id => $"{id}={last.GetValueOrDefault(id)}")) + "\n" + AppOutputs());
                }

                await Task.Delay(250);
            }
        }

        return clock.Elapsed;
    }

    /// <summary>
    /// Checks the end state against what was uploaded: every upload terminal (else lost), Ready ones with exactly their
    /// playlists' segments, master and poster stored (else lost), listed once in the Ready index and the public list
    /// (else lost or duplicated), Failed ones with a reason, their original kept and no media; no media blob of any
    /// other video (orphans); <paramref name="expectedPoison"/> messages in the poison queues; empty work folders.
    /// </summary>
    public async Task<AuditResult> AuditAsync(IReadOnlyList<UploadedVideo> uploads, HttpClient client, int expectedPoison = 0)
    {
        var problems = new List<string>();
        int ready = 0, failedExpected = 0, failedUnexpected = 0, lost = 0, duplicated = 0;
        var readyIds = new HashSet<string>(StringComparer.Ordinal);

        foreach (var upload in uploads)
        {
            var entry = await Videos.GetEntryAsync(upload.VideoId, default);
            var video = entry?.Video;
            switch (video?.Status)
            {
                case null:
                    lost++;
                    problems.Add($"{upload.VideoId}: no record");
                    break;
                case VideoStatus.Ready:
                    if (upload.ExpectFailure)
                    {
                        failedUnexpected++;
                        problems.Add($"{upload.VideoId}: a deliberately bad upload became Ready");
                    }

                    var missing = await CheckOutputsAsync(video);
                    if (missing.Count > 0)
                    {
                        lost++;
                        problems.AddRange(missing.Select(m => $"{upload.VideoId}: {m}"));
                    }
                    else
                    {
                        ready++;
                        readyIds.Add(upload.VideoId);
                    }

                    break;
                case VideoStatus.Failed:
                    if (upload.ExpectFailure)
                    {
                        failedExpected++;
                    }
                    else
                    {
                        failedUnexpected++;
                        problems.Add($"{upload.VideoId}: Failed unexpectedly: {video.Error}");
                    }

                    if (string.IsNullOrWhiteSpace(video.Error))
                    {
                        problems.Add($"{upload.VideoId}: Failed without a reason");
                    }

                    if (await Blobs.GetInfoAsync(MediaLayout.UploadsContainer, MediaLayout.Source(upload.VideoId), default) is null)
                    {
                        lost++;
                        problems.Add($"{upload.VideoId}: Failed and its original upload is gone");
                    }

                    break;
                default:
                    lost++;
                    problems.Add($"{upload.VideoId}: left {video.Status} at {video.Stage} ({video.Progress:0} %)");
                    break;
            }
        }

        // The Ready index (what feeds and recommendations read) and the public list: each Ready video exactly once.
        var indexed = new Dictionary<string, int>(StringComparer.Ordinal);
        await foreach (var summary in Videos.EnumerateReadyAsync(default))
        {
            indexed[summary.VideoId] = indexed.GetValueOrDefault(summary.VideoId) + 1;
        }

        var listed = new Dictionary<string, int>(StringComparer.Ordinal);
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>("/api/videos?count=100" + (cursor is null ? string.Empty : "&cursor=" + Uri.EscapeDataString(cursor)));
            foreach (var item in page.GetProperty("items").EnumerateArray())
            {
                var id = item.GetProperty("videoId").GetString()!;
                listed[id] = listed.GetValueOrDefault(id) + 1;
            }

            cursor = page.TryGetProperty("cursor", out var next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
        }
        while (cursor is not null);

        foreach (var id in readyIds)
        {
            foreach (var (name, counts) in new[] { ("Ready index", indexed), ("public list", listed) })
            {
                var count = counts.GetValueOrDefault(id);
                if (count == 0)
                {
                    lost++;
                    problems.Add($"{id}: Ready but missing from the {name}");
                }
                else if (count > 1)
                {
                    duplicated++;
                    problems.Add($"{id}: {count} times in the {name}");
                }
            }
        }

        foreach (var stray in indexed.Keys.Concat(listed.Keys).Distinct().Where(id => !readyIds.Contains(id)))
        {
            duplicated++;
            problems.Add($"{stray}: listed as Ready but not a complete Ready upload of this scenario");
        }

        await foreach (var blob in Blobs.ListAsync(MediaLayout.Container, null, default))
        {
            var owner = blob.Name.Split('/')[0];
            if (!readyIds.Contains(owner))
            {
                problems.Add($"orphan media blob {blob.Name}");
            }
        }

        var poisoned = 0;
        foreach (var queue in Services.GetServices<StorageResource>().Where(r => r.Kind == StorageResourceKind.Queue && !r.Name.EndsWith("-poison", StringComparison.Ordinal)))
        {
            try
            {
                poisoned += await Queues.GetApproximateCountAsync(queue.Name + "-poison", default);
            }
            catch (StorageException)
            {
                // The poison queue is created only when the first message is moved there.
            }
        }

        if (poisoned != expectedPoison)
        {
            problems.Add($"{poisoned} message(s) in poison queues, expected {expectedPoison}");
        }

        // Every app's work folder (its Media:WorkDirectory, e.g. a tmpfs) must hold no temp file; a live process's
        // ownership lock is not one.
        foreach (var work in _workDirectories.Append(Path.Combine(Root, "work")).Distinct().Where(Directory.Exists))
        {
            problems.AddRange(Directory.EnumerateFiles(work, "*", SearchOption.AllDirectories)
                .Where(f => Path.GetFileName(f) != WorkArea.LockFileName)
                .Take(5)
                .Select(f => $"temp file left: {f}"));
        }

        return new AuditResult(ready, failedExpected, failedUnexpected, lost, duplicated, problems);
    }

    /// <summary>What is wrong with a Ready video's stored media: every blob its playlists name, and nothing else, must exist.</summary>
    public async Task<IReadOnlyList<string>> CheckOutputsAsync(VideoRecord video)
    {
        var problems = new List<string>();
        var stored = new HashSet<string>(StringComparer.Ordinal);
        await foreach (var blob in Blobs.ListAsync(MediaLayout.Container, MediaLayout.Prefix(video.VideoId), default))
        {
            stored.Add(blob.Name);
        }

        var expected = new HashSet<string>(StringComparer.Ordinal) { MediaLayout.MasterPlaylist(video.VideoId), MediaLayout.Poster(video.VideoId) };
        if (video.Renditions.Count == 0)
        {
            problems.Add("Ready with no renditions");
        }

        foreach (var rendition in video.Renditions)
        {
            var text = await Blobs.ReadTextAsync(MediaLayout.Container, MediaLayout.RenditionPlaylist(video.VideoId, rendition.Name), default);
            expected.Add(MediaLayout.RenditionPlaylist(video.VideoId, rendition.Name));
            if (text is null)
            {
                continue;
            }

            var playlist = HlsPlaylists.ParseMedia(text);
            expected.UnionWith(playlist.Segments.Select(s => MediaLayout.RenditionFolder(video.VideoId, rendition.Name) + s.Uri));
            if (playlist.MapUri is { } map)
            {
                expected.Add(MediaLayout.RenditionFolder(video.VideoId, rendition.Name) + map);
            }

            problems.AddRange(PlaylistValidator.Validate(playlist, video.DurationSeconds ?? 0).Select(p => $"{rendition.Name}: {p}"));
        }

        problems.AddRange(expected.Except(stored).Order(StringComparer.Ordinal).Select(b => $"missing {b}"));
        problems.AddRange(stored.Except(expected).Order(StringComparer.Ordinal).Select(b => $"unexpected {b}"));
        return problems;
    }

    /// <summary>Peak resident memory of every app process this scenario started (VmHWM), in bytes.</summary>
    public long PeakMemory() => _apps.Select(a => a.ReadMemory()?.Peak ?? 0).DefaultIfEmpty(0).Max();

    public string AppOutputs() => string.Join("\n", _apps.Select((a, i) => $"--- app {i} (pid {a.ProcessId}) ---\n{Tail(a.Output, 4000)}"));

    public async ValueTask DisposeAsync()
    {
        foreach (var app in _apps)
        {
            await app.DisposeAsync();
        }

        if (_reader is not null)
        {
            await _reader.DisposeAsync();
        }

        if (_ownsAzurite)
        {
            await Azurite.DisposeAsync();
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private static string Tail(string text, int length) => text.Length <= length ? text : text[^length..];
}
