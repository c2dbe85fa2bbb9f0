namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>Waits on a condition (never on a fixed sleep), polling until it holds or the deadline passes.</summary>
public static class Eventually
{
    public static Task TrueAsync(Func<bool> condition, TimeSpan timeout, string what) =>
        TrueAsync(() => Task.FromResult(condition()), timeout, what);

    public static async Task TrueAsync(Func<Task<bool>> condition, TimeSpan timeout, string what)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (!await condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"{what} within {timeout.TotalSeconds:0} s.");
            }

            await Task.Delay(50);
        }
    }
}
