using System.Text.Json;

namespace Serverless.IntegrationTests.Runtime;

public sealed class ThreadPoolFloorTests
{
    [Fact]
    public void FunctionApp_RuntimeConfig_KeepsAThreadPoolFloor()
    {
        // Regression (issue 8, API load): every running ffmpeg/ffprobe holds thread-pool threads blocked on its redirected
        // output (Linux), and without a floor the pool added threads back slowly, so requests arriving during
        // transcodes waited hundreds of milliseconds for one. The app's runtime config sets the floor.
        var path = Path.Combine(AppContext.BaseDirectory, "Serverless.Functions.runtimeconfig.json");
        using var config = JsonDocument.Parse(File.ReadAllText(path));

        var properties = config.RootElement.GetProperty("runtimeOptions").GetProperty("configProperties");

        Assert.True(properties.TryGetProperty("System.Threading.ThreadPool.MinThreads", out var floor), "no System.Threading.ThreadPool.MinThreads in " + path);
        Assert.True(floor.GetInt32() >= 32, $"thread-pool floor {floor.GetInt32()}");
    }
}
