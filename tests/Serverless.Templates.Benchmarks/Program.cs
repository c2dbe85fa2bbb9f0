// On-demand benchmark of the template library (issue 5). Targets: a no-change manifest poll (304) at >= 5,000 requests/s
// and a full manifest in <= 50 ms p99 for a library of 2,000 templates, over HTTP against the real app on Azurite in
// a separate process; expansion of a 200-image loop template in <= 1 ms.
//
//   dotnet run -c Release --project tests/Serverless.Templates.Benchmarks -- [--templates 2000] [--seconds 10] [--concurrency 64]
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Serverless.Templates.Protocol;
using Serverless.Templates.Timeline;

if (Serverless.Testing.LocalTools.Missing("azurite") is { } missing)
{
    Console.Error.WriteLine(missing);
    return 1;
}

var options = Options.Parse(args);
Console.WriteLine($"Template library benchmark: {options.Templates} templates, {options.Seconds} s polling with {options.Concurrency} connections");

BenchmarkExpansion();

var root = FindRepositoryRoot();
var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";
var appDll = Path.Combine(root, "functions", "LocalHost", "bin", configuration, "net10.0", "Serverless.LocalHost.dll");
var data = Directory.CreateTempSubdirectory("templates-bench-").FullName;
var (blob, queue, table, web) = (FreePort(), FreePort(), FreePort(), FreePort());
var connection = "DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==;"
    + $"BlobEndpoint=http://127.0.0.1:{blob}/devstoreaccount1;QueueEndpoint=http://127.0.0.1:{queue}/devstoreaccount1;TableEndpoint=http://127.0.0.1:{table}/devstoreaccount1;";
using var azurite = Start(Serverless.Testing.LocalTools.Azurite ?? "azurite", null,
    ["--silent", "--skipApiVersionCheck", "--disableTelemetry", "--loose", "--location", data,
     "--blobHost", "127.0.0.1", "--blobPort", Invariant(blob), "--queueHost", "127.0.0.1", "--queuePort", Invariant(queue),
     "--tableHost", "127.0.0.1", "--tablePort", Invariant(table)], new Dictionary<string, string>());
Process? app = null;
try
{
    await WaitForPortAsync(blob);
    await WaitForPortAsync(table);
    app = Start("dotnet", Path.GetDirectoryName(appDll), [appDll], new Dictionary<string, string>
    {
        ["AzureWebJobsStorage"] = connection,
        ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{web}",
        ["ASPNETCORE_ENVIRONMENT"] = "Development",
        ["DOTNET_ENVIRONMENT"] = "Development",
        ["Identity__AllowDevelopmentSignIn"] = "true",
        ["Identity__OperatorKeys"] = "bench-operator-key",
        ["LocalRuntime__Enabled"] = "false",
        ["Logging__LogLevel__Default"] = "Warning",
    });
    await WaitForPortAsync(web, TimeSpan.FromSeconds(60));

    using var handler = new SocketsHttpHandler { MaxConnectionsPerServer = options.Concurrency, PooledConnectionLifetime = Timeout.InfiniteTimeSpan, UseCookies = false };
    using var http = new HttpClient(handler) { BaseAddress = new Uri($"http://127.0.0.1:{web}"), Timeout = TimeSpan.FromMinutes(2) };
    http.DefaultRequestHeaders.Add("X-Dev-User", "bench");
    http.DefaultRequestHeaders.Add("x-functions-key", "bench-operator-key");

    await SeedAsync(http, options.Templates);
    await BenchmarkFullManifestAsync(http);
    await BenchmarkNotModifiedAsync(http, options);
}
finally
{
    Stop(app);
    Stop(azurite);
    Directory.Delete(data, recursive: true);
}

return 0;

static void BenchmarkExpansion()
{
    var image = TemplateNode("放大", NodeType.Image, 2.0);
    var template = new MotionTemplate
    {
        Id = "bench-loop",
        Name = "bench",
        Loop = true,
        MinImageCount = 1,
        MaxImageCount = 200,
        Nodes = [TemplateNode("intro", NodeType.Image, 1.5, once: true), TemplateNode("fade", NodeType.Transition, 0.3, once: true), image, TemplateNode("溶解", NodeType.Transition, 0.5), TemplateNode("zoom", NodeType.Image, 2), TemplateNode("slide", NodeType.Transition, 0.4)],
        Tracks = [new TemplateTrack { Type = TrackType.ShaderTrack, List = [new TrackItem { Type = "PopImage", Position = 0, Duration = 3600, Shader = new TrackShader { VertexUrl = "https://cdn.example.com/p.vert", FragmentUrl = "https://cdn.example.com/p.frag" } }] }],
    };
    if (TemplateValidator.Validate(template).Count > 0)
    {
        throw new InvalidOperationException("The benchmark template is not valid.");
    }

    for (var i = 0; i < 2000; i++)
    {
        TimelineExpander.Expand(template, 200);
    }

    var samples = new double[20_000];
    for (var i = 0; i < samples.Length; i++)
    {
        var start = Stopwatch.GetTimestamp();
        var timeline = TimelineExpander.Expand(template, 200);
        samples[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        if (timeline.Nodes.Count != 399)
        {
            throw new InvalidOperationException("Unexpected timeline.");
        }
    }

    Array.Sort(samples);
    Console.WriteLine($"Expansion, 200-image loop template (399 nodes), {samples.Length} runs: median {Ms(samples[samples.Length / 2])}, p99 {Ms(samples[(int)(samples.Length * 0.99)])} (target <= 1 ms)");
}

static TemplateNode TemplateNode(string name, NodeType type, double duration, bool once = false) => new()
{
    Name = name,
    Type = type,
    Duration = duration,
    Once = once,
    Shader = new NodeShader
    {
        VertexUrl = $"https://cdn.example.com/shaders/{Uri.EscapeDataString(name)}.vert",
        FragmentUrl = $"https://cdn.example.com/shaders/{Uri.EscapeDataString(name)}.frag",
        Uniforms = new Dictionary<string, UniformValue> { ["u_FirstScaleBegin"] = new(1.0), ["u_FirstScaleRange"] = new(0.04), ["u_FirstMoveBeginX"] = new(0) },
    },
};

static async Task SeedAsync(HttpClient http, int count)
{
    var shaders = Enumerable.Range(0, 20).SelectMany(i => new[] { $"https://cdn.example.com/shaders/effect{i}.vert", $"https://cdn.example.com/shaders/effect{i}.frag" }).ToList();
    var assets = shaders.Select(u => new { url = u, sha256 = Sha(u), length = 2048, kind = "shader" })
        .Append(new { url = "https://cdn.example.com/music/track.m4a", sha256 = Sha("music"), length = 1_000_000, kind = "music" })
        .Append(new { url = "https://cdn.example.com/stickers/pop.png", sha256 = Sha("pop"), length = 4000, kind = "image" })
        .ToList();
    (await http.PutAsJsonAsync("/api/operator/template-assets", new { assets })).EnsureSuccessStatusCode();
    var clock = Stopwatch.StartNew();
    var done = 0;
    await Parallel.ForEachAsync(Enumerable.Range(0, count), new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (i, ct) =>
    {
        var id = $"bench-{i:D5}";
        var json = TemplateJson(id, i, shaders);
        using var put = new HttpRequestMessage(HttpMethod.Put, $"/api/operator/templates/{id}") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
        put.Headers.TryAddWithoutValidation("If-Match", "*");
        var response = await http.SendAsync(put, ct);
        if (response.StatusCode == HttpStatusCode.PreconditionFailed)
        {
            // A fresh library: create instead of overwrite.
            using var create = new HttpRequestMessage(HttpMethod.Put, $"/api/operator/templates/{id}") { Content = new StringContent(json, Encoding.UTF8, "application/json") };
            response = await http.SendAsync(create, ct);
        }

        EnsureSuccess(response, await response.Content.ReadAsStringAsync(ct));
        var published = await http.PostAsync($"/api/operator/templates/{id}/publish", null, ct);
        EnsureSuccess(published, await published.Content.ReadAsStringAsync(ct));
        if (Interlocked.Increment(ref done) % 250 == 0)
        {
            Console.WriteLine($"  seeded {done}/{count} ({clock.Elapsed.TotalSeconds:F0} s)");
        }
    });
    Console.WriteLine($"Seeded {count} templates (PUT + publish) in {clock.Elapsed.TotalSeconds:F1} s");
}

static string TemplateJson(string id, int i, List<string> shaders)
{
    const string Node = """{"name":"NAME","type":"TYPE","duration":DURATION,"shader":{"vertexURL":"VERT","fragmentURL":"FRAG","uniforms":{"u_FirstScaleBegin":1.00,"u_FirstScaleRange":0.04,"u_FirstMoveBeginX":0.00,"u_FirstMoveRangeX":0.00,"u_FirstMoveBeginY":0.00,"u_FirstMoveRangeY":0.00}}}""";
    const string Template = """{"id":"ID","name":"Template INDEX","category":"CATEGORY","family":"FAMILY","tags":["TAG1","TAG2"],"aspectRatio":"9:16","minImageCount":1,"maxImageCount":IMAGES,"music":{"id":"m","url":"https://cdn.example.com/music/track.m4a","duration":30},"nodes":[NODES],"tracks":[{"type":"ShaderTrack","list":[{"type":"PopImage","position":0,"duration":3600,"data":{},"shader":{"vertexURL":"VERT","fragmentURL":"FRAG","vertexCoordinatesName":"a_Position","vertexCoordinatesValue":{"x":0,"y":0,"width":1,"height":1,"rect":{"top":"8dp","right":"8dp","width":"60dp","height":"24dp"}},"images":[{"textureCoordinatesName":"a_FirstTexCoord","textureCoordinatesValue":{"x":0,"y":0,"width":1,"height":1},"textureName":"u_FirstTexture","imageURL":"https://cdn.example.com/stickers/pop.png"}],"uniforms":{"u_MoveX":0,"u_MoveY":0}}}]}]}""";
    var nodes = new List<string>();
    var nodeCount = 5 + (i % 6) * 2;
    for (var n = 0; n < nodeCount; n++)
    {
        var effect = (i + n) % 20;
        var type = n % 2 == 0 ? "image" : "transition";
        nodes.Add(Node.Replace("NAME", type + Invariant(n), StringComparison.Ordinal).Replace("TYPE", type, StringComparison.Ordinal)
            .Replace("DURATION", type == "image" ? "2.0" : "0.5", StringComparison.Ordinal)
            .Replace("VERT", shaders[effect * 2], StringComparison.Ordinal).Replace("FRAG", shaders[effect * 2 + 1], StringComparison.Ordinal));
    }

    return Template.Replace("NODES", string.Join(",", nodes), StringComparison.Ordinal)
        .Replace("ID", id, StringComparison.Ordinal).Replace("INDEX", Invariant(i), StringComparison.Ordinal)
        .Replace("CATEGORY", "c" + Invariant(i % 10), StringComparison.Ordinal).Replace("FAMILY", "f" + Invariant(i % 50), StringComparison.Ordinal)
        .Replace("TAG1", "t" + Invariant(i % 7), StringComparison.Ordinal).Replace("TAG2", "u" + Invariant(i % 11), StringComparison.Ordinal)
        .Replace("IMAGES", Invariant((nodeCount + 1) / 2), StringComparison.Ordinal)
        .Replace("VERT", shaders[0], StringComparison.Ordinal).Replace("FRAG", shaders[1], StringComparison.Ordinal);
}

static async Task BenchmarkFullManifestAsync(HttpClient http)
{
    foreach (var gzip in new[] { false, true })
    {
        var samples = new List<double>();
        long bytes = 0;
        for (var i = 0; i < 230; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/api/templates/manifest");
            if (gzip)
            {
                request.Headers.AcceptEncoding.ParseAdd("gzip");
            }

            var start = Stopwatch.GetTimestamp();
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var body = await response.Content.ReadAsByteArrayAsync();
            var elapsed = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            if (i >= 30)
            {
                samples.Add(elapsed);
            }

            bytes = body.Length;
        }

        samples.Sort();
        Console.WriteLine($"Full manifest ({(gzip ? "gzip" : "identity")}, {bytes / 1024.0:F0} KiB on the wire), {samples.Count} sequential requests: "
            + $"median {Ms(samples[samples.Count / 2])}, p99 {Ms(samples[(int)(samples.Count * 0.99)])} (target p99 <= 50 ms)");
    }

    var manifest = JsonNode.Parse(await http.GetStringAsync("/api/templates/manifest"))!;
    Console.WriteLine($"  manifest version {manifest["version"]}, {manifest["upserts"]!.AsArray().Count} templates, {manifest["resources"]!.AsArray().Count} resources");
}

static async Task BenchmarkNotModifiedAsync(HttpClient http, Options options)
{
    var first = await http.GetAsync("/api/templates/manifest?since=0");
    var etag = first.Headers.ETag!.Tag;
    var version = JsonNode.Parse(await first.Content.ReadAsStringAsync())!["version"]!.GetValue<long>();
    var url = $"/api/templates/manifest?since={version}";
    var current = await http.GetAsync(url);
    var pollEtag = current.Headers.ETag!.Tag;
    _ = etag;

    async Task<long> Worker(DateTime until, CancellationToken ct)
    {
        long ok = 0;
        while (DateTime.UtcNow < until)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.TryAddWithoutValidation("If-None-Match", pollEtag);
            using var response = await http.SendAsync(request, ct);
            if (response.StatusCode != HttpStatusCode.NotModified)
            {
                throw new InvalidOperationException($"Expected 304, got {(int)response.StatusCode}.");
            }

            ok++;
        }

        return ok;
    }

    await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Worker(DateTime.UtcNow.AddSeconds(2), default)));
    var clock = Stopwatch.StartNew();
    var counts = await Task.WhenAll(Enumerable.Range(0, options.Concurrency).Select(_ => Worker(DateTime.UtcNow.AddSeconds(options.Seconds), default)));
    var total = counts.Sum();
    Console.WriteLine($"No-change poll (304, If-None-Match), {options.Concurrency} connections, {clock.Elapsed.TotalSeconds:F1} s: "
        + $"{total / clock.Elapsed.TotalSeconds:F0} requests/s ({total} requests) (target >= 5,000/s)");
}

static void EnsureSuccess(HttpResponseMessage response, string body)
{
    if (!response.IsSuccessStatusCode)
    {
        throw new InvalidOperationException($"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} -> {(int)response.StatusCode}: {body}");
    }
}

static string Sha(string value) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(Encoding.UTF8.GetBytes(value)));

static string Ms(double value) => value.ToString("F3", CultureInfo.InvariantCulture) + " ms";

static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);

static Process Start(string file, string? workingDirectory, IEnumerable<string> arguments, Dictionary<string, string> environment)
{
    var psi = new ProcessStartInfo(file) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
    if (workingDirectory is not null)
    {
        psi.WorkingDirectory = workingDirectory;
    }

    foreach (var argument in arguments)
    {
        psi.ArgumentList.Add(argument);
    }

    foreach (var (key, value) in environment)
    {
        psi.Environment[key] = value;
    }

    var process = Process.Start(psi) ?? throw new InvalidOperationException($"{file} did not start.");
    var log = Path.Combine(Path.GetTempPath(), $"templates-bench-{Path.GetFileNameWithoutExtension(file)}-{process.Id}.log");
    var writer = TextWriter.Synchronized(new StreamWriter(log) { AutoFlush = true });
    process.OutputDataReceived += (_, e) => writer.WriteLine(e.Data);
    process.ErrorDataReceived += (_, e) => writer.WriteLine(e.Data);
    process.Exited += (_, _) => Console.Error.WriteLine($"  [{Path.GetFileName(file)} exited with {process.ExitCode}; output in {log}]");
    process.EnableRaisingEvents = true;
    process.BeginOutputReadLine();
    process.BeginErrorReadLine();
    return process;
}

static void Stop(Process? process)
{
    if (process is { HasExited: false })
    {
        process.Kill(entireProcessTree: true);
        process.WaitForExit(10_000);
    }
}

static async Task WaitForPortAsync(int port, TimeSpan? timeout = null)
{
    var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
    while (true)
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, port);
            return;
        }
        catch (SocketException) when (DateTime.UtcNow < deadline)
        {
            await Task.Delay(200);
        }
    }
}

static int FreePort()
{
    using var listener = new TcpListener(IPAddress.Loopback, 0);
    listener.Start();
    return ((IPEndPoint)listener.LocalEndpoint).Port;
}

static string FindRepositoryRoot()
{
    for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "Serverless.sln")))
        {
            return dir.FullName;
        }
    }

    throw new InvalidOperationException("Run from inside the repository.");
}

internal sealed record Options(int Templates, int Seconds, int Concurrency)
{
    public static Options Parse(string[] args)
    {
        int Get(string name, int fallback)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? int.Parse(args[index + 1], CultureInfo.InvariantCulture) : fallback;
        }

        return new Options(Get("--templates", 2000), Get("--seconds", 10), Get("--concurrency", 64));
    }
}
