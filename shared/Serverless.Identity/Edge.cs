using System.Globalization;
using System.Net;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Serverless.Http;

namespace Serverless.Identity;

/// <summary>
/// The rate-limited route classes. They are matched by path at the edge (before routing), so the areas that own the routes
/// need no change: <see cref="Login"/> is <c>POST /api/auth/login</c>, <see cref="Uploads"/> is <c>/api/uploads…</c> but the
/// chunks of a chunked upload, which are <see cref="Chunks"/> (a 1 GiB file is 256 of them), <see cref="Events"/> is
/// <c>/api/events…</c>.
/// </summary>
public static class RateLimitPolicies
{
    public const string Login = "login";
    public const string Uploads = "uploads";
    public const string Chunks = "chunks";
    public const string Events = "events";

    /// <summary>The class of a request, or null when it is not rate limited.</summary>
    public static string? Classify(HttpRequest request)
    {
        var path = request.Path;
        if (HttpMethods.IsOptions(request.Method))
        {
            return null;
        }

        if (path.Equals(SignIn.Route, StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/api/auth", StringComparison.OrdinalIgnoreCase))
        {
            return Login;
        }

        if (path.StartsWithSegments("/api/uploads", StringComparison.OrdinalIgnoreCase, out var rest))
        {
            // /{videoId}/chunks[/{index}] and /{videoId}/complete: the parts of one upload, already counted when it was created.
            var segments = rest.Value?.Split('/', StringSplitOptions.RemoveEmptyEntries) ?? [];
            return segments is [_, "chunks", ..] or [_, "complete"] ? Chunks : Uploads;
        }

        // A photo for a render and a render are uploads too: each is work for the app's media tools.
        if (HttpMethods.IsPost(request.Method)
            && (path.Equals("/api/images", StringComparison.OrdinalIgnoreCase) || path.Equals("/api/renders", StringComparison.OrdinalIgnoreCase)))
        {
            return Uploads;
        }

        return path.StartsWithSegments("/api/events", StringComparison.OrdinalIgnoreCase) ? Events : null;
    }
}

public static class SecurityHeaders
{
    /// <summary>Sets the headers on the response when it starts (so error answers carry them too).</summary>
    public static void ApplyOnStarting(HttpContext context, bool hsts) =>
        context.Response.OnStarting(hsts ? ApplyWithHsts : Apply, context);

    public static readonly Func<object, Task> Apply = state => Set((HttpContext)state, hsts: false);

    public static readonly Func<object, Task> ApplyWithHsts = state => Set((HttpContext)state, hsts: true);

    private static Task Set(HttpContext context, bool hsts)
    {
        var headers = context.Response.Headers;
        if (hsts)
        {
            headers.StrictTransportSecurity = "max-age=31536000; includeSubDomains";
        }

        headers.XContentTypeOptions = "nosniff";
        headers.XFrameOptions = "DENY";
        headers["Referrer-Policy"] = "no-referrer";
        // The API never serves a document a browser renders; the local demo page (Development only) sets its own policy, if any.
        var path = context.Request.Path;
        if ((path.StartsWithSegments("/api", StringComparison.OrdinalIgnoreCase) || path.StartsWithSegments("/openapi", StringComparison.OrdinalIgnoreCase))
            && !headers.ContainsKey("Content-Security-Policy"))
        {
            headers.ContentSecurityPolicy = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";
        }

        headers["Cross-Origin-Opener-Policy"] = "same-origin";
        headers["X-Permitted-Cross-Domain-Policies"] = "none";
        return Task.CompletedTask;
    }
}

/// <summary>The partitioned limiters: per user (from the token) and per client IP, answered with 429, Retry-After and problem+json.</summary>
public sealed class EdgeRateLimits : IAsyncDisposable
{
    private readonly PartitionedRateLimiter<HttpContext> _limiter;

    public EdgeRateLimits(IOptions<EdgeOptions> options)
    {
        var edge = options.Value;
        _limiter = PartitionedRateLimiter.CreateChained(
            PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var policy = RateLimitPolicies.Classify(context.Request);
                var user = context.User.Identity?.IsAuthenticated == true ? context.User.FindFirst(ClaimsPrincipalExtensions.UserIdClaim)?.Value : null;
                var permits = policy switch
                {
                    RateLimitPolicies.Uploads => edge.UploadPermitsPerMinutePerUser,
                    RateLimitPolicies.Chunks => edge.ChunkPermitsPerMinutePerUser,
                    RateLimitPolicies.Events => edge.EventPermitsPerMinutePerUser,
                    _ => 0,
                };
                return permits == 0 || user is null
                    ? RateLimitPartition.GetNoLimiter(string.Empty)
                    : RateLimitPartition.GetTokenBucketLimiter(policy + "|u|" + user, _ => PerMinute(permits));
            }),
            PartitionedRateLimiter.Create<HttpContext, string>(context =>
            {
                var policy = RateLimitPolicies.Classify(context.Request);
                var permits = policy switch
                {
                    RateLimitPolicies.Login => edge.LoginPermitsPerMinutePerIp,
                    RateLimitPolicies.Uploads => edge.UploadPermitsPerMinutePerIp,
                    RateLimitPolicies.Chunks => edge.ChunkPermitsPerMinutePerIp,
                    RateLimitPolicies.Events => edge.EventPermitsPerMinutePerIp,
                    _ => 0,
                };
                return permits == 0
                    ? RateLimitPartition.GetNoLimiter(string.Empty)
                    : RateLimitPartition.GetTokenBucketLimiter(policy + "|ip|" + ClientAddress.Of(context, edge.ClientAddressHeader), _ => PerMinute(permits));
            }));
    }

    /// <summary>
    /// Takes a permit for the request, or answers 429 with Retry-After and problem+json and returns false. Requests of the
    /// per-user classes are authenticated first (the bearer token, if any; the result is cached for the request).
    /// </summary>
    public async Task<bool> TryAdmitAsync(HttpContext context)
    {
        if (RateLimitPolicies.Classify(context.Request) is not { } policy)
        {
            return true;
        }

        if (policy is RateLimitPolicies.Uploads or RateLimitPolicies.Chunks or RateLimitPolicies.Events && context.Request.Headers.Authorization.Count > 0)
        {
            var result = await context.AuthenticateAsync(BearerTokenHandler.SchemeName).ConfigureAwait(false);
            if (result.Succeeded)
            {
                context.User = result.Principal;
            }
        }

        using var lease = _limiter.AttemptAcquire(context);
        if (lease.IsAcquired)
        {
            return true;
        }

        var seconds = lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter)
            ? Math.Max(1, (int)Math.Ceiling(retryAfter.TotalSeconds))
            : 60;
        await (Problems.Create(
            StatusCodes.Status429TooManyRequests,
            "rate-limited",
            "Too many requests.",
            $"Too many requests; retry after {seconds.ToString(CultureInfo.InvariantCulture)} s.") with { RetryAfterSeconds = seconds }).WriteAsync(context).ConfigureAwait(false);
        return false;
    }

    public ValueTask DisposeAsync() => _limiter.DisposeAsync();

    /// <summary>A bucket holding one minute's permits, refilled evenly (at most every 100 ms).</summary>
    internal static TokenBucketRateLimiterOptions PerMinute(int permits)
    {
        var period = TimeSpan.FromTicks(Math.Max(TimeSpan.FromMilliseconds(100).Ticks, TimeSpan.FromMinutes(1).Ticks / permits));
        var perPeriod = Math.Max(1, (int)Math.Round(permits * period.TotalMinutes));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = permits,
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            AutoReplenishment = true,
        };
    }
}

/// <summary>
/// The client's address for per-IP limits: the TCP peer as this process sees it, or the address in the header a trusted
/// front end writes (<see cref="EdgeOptions.ClientAddressHeader"/>) when one is configured. Under the Functions host the
/// peer is already the client's: the host forwards each request to the worker with <c>X-Forwarded-For</c> set (not
/// appended) to the address it saw, and the worker's ASP.NET Core integration turns that into the connection's remote
/// address, so a client's own <c>X-Forwarded-For</c> never reaches this code. In Azure the host sits behind the App
/// Service front end, which writes <c>CLIENT-IP</c> (<c>ip:port</c>, overwriting any value the client sent); the Bicep
/// names that header. Where no such front end exists (locally) a client could write the header itself, so none is named.
/// </summary>
internal static class ClientAddress
{
    public static string Of(HttpContext context, string? trustedHeader)
    {
        if (!string.IsNullOrEmpty(trustedHeader)
            && context.Request.Headers[trustedHeader] is { Count: > 0 } values
            && TryParseAddress(values[0]!.Trim(), out var declared))
        {
            return Normalize(declared);
        }

        return context.Connection.RemoteIpAddress is { } peer ? Normalize(peer) : "unknown";
    }

    private static bool TryParseAddress(string entry, out IPAddress address) =>
        IPAddress.TryParse(entry, out address!) || (IPEndPoint.TryParse(entry, out var endpoint) && (address = endpoint.Address) is not null);

    /// <summary>IPv4 as is; IPv6 by its /64 prefix (one subscriber usually holds a whole /64).</summary>
    private static string Normalize(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6)
        {
            address = address.MapToIPv4();
        }

        if (address.AddressFamily != System.Net.Sockets.AddressFamily.InterNetworkV6)
        {
            return address.ToString();
        }

        var bytes = address.GetAddressBytes();
        Array.Clear(bytes, 8, 8);
        return new IPAddress(bytes) + "/64";
    }
}
