namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>A clock the test moves by hand. Timers and delays still run on real time.</summary>
public sealed class FakeTime(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public void Advance(TimeSpan by) => _now += by;
}
