using System.Text.Json;

namespace Serverless.IntegrationTests.Runtime;

public sealed class ThreadPoolFloorTests
{
    [Fact]
    public void FunctionApp_RuntimeConfig_KeepsAThreadPoolFloor()
    {
        // Issue 8, API load: every running ffmpeg/ffprobe holds thread-pool threads blocked on its redirected output
        // (Linux, dotnet/runtime#81896), and once short the pool adds threads back slowly (the load generator, exposed the
        // same way, stalled up to a second). The app's runtime config keeps a floor so requests during transcodes get one.
        var path = Path.Combine(AppContext.BaseDirectory, "Serverless.Functions.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));

        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.MinThreads", out var floor), "no System.Threading.ThreadPool.MinThreads in " + path);
        Assert.True(floor.GetInt32() >= 32, $"thread-pool floor {floor.GetInt32()}");
    }
}
