using System.Text;
using System.Text.Json;
using Azure.Core;

namespace Serverless.IntegrationTests.Infrastructure;

/// <summary>
/// Stands in for the managed identity against an Azurite started with <c>--oauth basic</c>: a bearer token with the
/// claims the emulator checks (issuer, storage audience, lifetime). The emulator does not verify the signature, so
/// the token is unsigned; a real account would refuse it. Counts the tokens it handed out.
/// </summary>
public sealed class AzuriteTokenCredential(TimeProvider? time = null) : TokenCredential
{
    private int _issued;

    public int Issued => Volatile.Read(ref _issued);

    public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _issued);
        var now = (time ?? TimeProvider.System).GetUtcNow();
        // Azurite checks the lifetime against its own (real) clock, whatever the test's clock says.
        var real = DateTimeOffset.UtcNow;
        var header = new { alg = "none", typ = "JWT" };
        var payload = new
        {
            aud = "https://storage.azure.com",
            iss = "https://sts.windows.net/00000000-0000-0000-0000-000000000001/",
            iat = real.AddMinutes(-5).ToUnixTimeSeconds(),
            nbf = real.AddMinutes(-5).ToUnixTimeSeconds(),
            exp = real.AddHours(1).ToUnixTimeSeconds(),
            oid = "00000000-0000-0000-0000-0000000000aa",
            tid = "00000000-0000-0000-0000-000000000001",
            appid = "serverless-tests",
            ver = "1.0",
        };
        var token = Encode(header) + "." + Encode(payload) + ".";
        return new AccessToken(token, now.AddHours(1));
    }

    public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
        ValueTask.FromResult(GetToken(requestContext, cancellationToken));

    private static string Encode(object value) =>
        Convert.ToBase64String(Encoding.UTF8.GetBytes(JsonSerializer.Serialize(value))).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
