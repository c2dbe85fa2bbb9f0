using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Serverless.Identity;

/// <summary>Tokens, user ids, operator keys and the development sign-in (section <c>Identity</c>).</summary>
public sealed class IdentityOptions
{
    public const string SectionName = "Identity";

    /// <summary>The <c>iss</c> of issued tokens; tokens with another issuer are refused. Default <c>shortvideo-api</c>.</summary>
    [Required]
    [StringLength(200, MinimumLength = 1)]
    public string Issuer { get; set; } = "shortvideo-api";

    /// <summary>The <c>aud</c> of issued tokens; tokens for another audience are refused. Default <c>shortvideo-miniprogram</c>.</summary>
    [Required]
    [StringLength(200, MinimumLength = 1)]
    public string Audience { get; set; } = "shortvideo-miniprogram";

    /// <summary>How long a token is valid. Default 60 minutes; the client signs in again with a fresh <c>wx.login</c> code.</summary>
    [Range(1, 1440)]
    public int TokenLifetimeMinutes { get; set; } = 60;

    /// <summary>Clock skew tolerated when checking <c>exp</c>/<c>nbf</c>. Default 30 seconds.</summary>
    [Range(0, 300)]
    public int ClockSkewSeconds { get; set; } = 30;

    /// <summary>
    /// HS256 signing keys as <c>keyId:base64Key</c>, comma-separated; each key at least 32 bytes. The first signs new tokens;
    /// all are accepted (by <c>kid</c>), so a rotation adds a new key first and removes the old one a token lifetime later.
    /// Required outside Development; in Development an empty value means an ephemeral per-process key (with a warning).
    /// </summary>
    public string SigningKeys { get; set; } = string.Empty;

    /// <summary>
    /// Base64 key (at least 32 bytes) for deriving opaque user ids from WeChat openids. Separate from the signing keys so user
    /// ids stay stable across signing-key rotation: never change it once users exist. Required outside Development.
    /// </summary>
    public string UserIdKey { get; set; } = string.Empty;

    /// <summary>Development only: <c>POST /api/auth/login</c> accepts <c>dev:&lt;name&gt;</c> codes. The app refuses to start with it outside Development.</summary>
    public bool AllowDevelopmentSignIn { get; set; }

    /// <summary>Operator keys accepted in <c>x-functions-key</c> (comma-separated: current and previous, for rotation; each at least 16 characters).</summary>
    public string OperatorKeys { get; set; } = string.Empty;

    internal IReadOnlyList<string> ParseOperatorKeys() =>
        OperatorKeys.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>Request limits, rate limits and CORS at the HTTP edge (section <c>Edge</c>).</summary>
public sealed class EdgeOptions
{
    public const string SectionName = "Edge";

    /// <summary>Default request body limit for every endpoint (routes that need more lift it themselves). Default 1 MiB.</summary>
    [Range(1024, 104857600)]
    public long MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>Sign-ins per client IP per minute. Default 30.</summary>
    [Range(1, 1000000)]
    public int LoginPermitsPerMinutePerIp { get; set; } = 30;

    /// <summary>Upload requests (<c>/api/uploads…</c>) per user per minute. Default 30.</summary>
    [Range(1, 1000000)]
    public int UploadPermitsPerMinutePerUser { get; set; } = 30;

    /// <summary>Upload requests per client IP per minute. Default 120.</summary>
    [Range(1, 1000000)]
    public int UploadPermitsPerMinutePerIp { get; set; } = 120;

    /// <summary>
    /// Chunk requests of chunked uploads (<c>/api/uploads/{id}/chunks…</c>, <c>…/complete</c>) per user per minute. Default
    /// 600: 2.4 GB a minute at the default 4 MiB chunk, far above a phone's uplink, while a runaway client is still stopped.
    /// </summary>
    [Range(1, 1000000)]
    public int ChunkPermitsPerMinutePerUser { get; set; } = 600;

    /// <summary>Chunk requests per client IP per minute. Default 2400.</summary>
    [Range(1, 1000000)]
    public int ChunkPermitsPerMinutePerIp { get; set; } = 2400;

    /// <summary>Event requests (<c>/api/events…</c>) per user per minute. Default 300.</summary>
    [Range(1, 1000000)]
    public int EventPermitsPerMinutePerUser { get; set; } = 300;

    /// <summary>Event requests per client IP per minute. Default 1200.</summary>
    [Range(1, 1000000)]
    public int EventPermitsPerMinutePerIp { get; set; } = 1200;

    /// <summary>
    /// A request header that a trusted front end writes with the client's address (<c>ip</c> or <c>ip:port</c>), used for the
    /// per-IP limits instead of the connection's peer: <c>CLIENT-IP</c> behind the App Service front end (the Bicep sets
    /// it), which overwrites what a client sends. Empty (the default, and locally, where a client could write any header):
    /// the peer address.
    /// </summary>
    public string ClientAddressHeader { get; set; } = string.Empty;

    /// <summary>Origins allowed by CORS (comma-separated, e.g. the web demo's). Empty (the default): no CORS.</summary>
    public string CorsOrigins { get; set; } = string.Empty;

    internal IReadOnlyList<string> ParseCorsOrigins() =>
        CorsOrigins.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
}

/// <summary>The checks data annotations cannot express, with the setting's name in every message.</summary>
internal sealed class IdentityOptionsValidator(IHostEnvironment environment) : IValidateOptions<IdentityOptions>
{
    public ValidateOptionsResult Validate(string? name, IdentityOptions options)
    {
        var errors = new List<string>();
        var development = environment.IsDevelopment();
        if (options.AllowDevelopmentSignIn && !development)
        {
            errors.Add($"Identity__AllowDevelopmentSignIn is enabled in the '{environment.EnvironmentName}' environment; development sign-in is only allowed in Development. Refusing to start.");
        }

        if (!SigningKeyRing.TryParse(options.SigningKeys, out _, out var keyError))
        {
            errors.Add("Identity__SigningKeys: " + keyError);
        }
        else if (string.IsNullOrWhiteSpace(options.SigningKeys) && !development)
        {
            errors.Add("Identity__SigningKeys is required outside Development (keyId:base64Key, at least 32 bytes each).");
        }

        if (!string.IsNullOrWhiteSpace(options.UserIdKey) && !SigningKeyRing.TryDecodeKey(options.UserIdKey, out _))
        {
            errors.Add("Identity__UserIdKey must be base64 of at least 32 bytes.");
        }
        else if (string.IsNullOrWhiteSpace(options.UserIdKey) && !development)
        {
            errors.Add("Identity__UserIdKey is required outside Development (base64, at least 32 bytes).");
        }

        foreach (var refused in new[]
        {
            DevelopmentKeys.RefuseOutsideDevelopment(environment, "Identity__SigningKeys", options.SigningKeys),
            DevelopmentKeys.RefuseOutsideDevelopment(environment, "Identity__UserIdKey", options.UserIdKey),
            DevelopmentKeys.RefuseOutsideDevelopment(environment, "Identity__OperatorKeys", options.OperatorKeys),
        })
        {
            if (refused is not null)
            {
                errors.Add(refused);
            }
        }

        var operatorKeys = options.ParseOperatorKeys();
        if (operatorKeys.Any(k => k.Length < 16))
        {
            errors.Add("Identity__OperatorKeys: every operator key must be at least 16 characters.");
        }
        else if (operatorKeys.Count == 0 && !development)
        {
            errors.Add("Identity__OperatorKeys is required outside Development.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}

internal sealed class EdgeOptionsValidator : IValidateOptions<EdgeOptions>
{
    public ValidateOptionsResult Validate(string? name, EdgeOptions options)
    {
        foreach (var origin in options.ParseCorsOrigins())
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("https" or "http") || uri.AbsolutePath != "/" || origin.EndsWith('/'))
            {
                return ValidateOptionsResult.Fail($"Edge__CorsOrigins: '{origin}' is not an origin (scheme://host[:port], no path).");
            }
        }

        return ValidateOptionsResult.Success;
    }
}
