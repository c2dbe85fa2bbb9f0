using System.Diagnostics.CodeAnalysis;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Serverless.Identity;

/// <summary>A signed access token and when it expires.</summary>
public sealed record IssuedToken(string Token, DateTimeOffset ExpiresAt);

/// <summary>The HS256 keys: the first signs, all validate (looked up by <c>kid</c>).</summary>
internal sealed partial class SigningKeyRing
{
    public const int MinKeyBytes = 32;

    public SigningKeyRing(IOptions<IdentityOptions> options, ILogger<SigningKeyRing> logger)
    {
        if (!TryParse(options.Value.SigningKeys, out var keys, out var error))
        {
            throw new InvalidOperationException("Identity__SigningKeys: " + error);
        }

        if (keys.Count == 0)
        {
            // Only reachable in Development (validated at start): tokens die with the process and differ per instance.
            keys = [new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(MinKeyBytes)) { KeyId = "ephemeral-" + Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4)) }];
            LogEphemeralKey(logger);
        }

        Keys = keys;
    }

    public IReadOnlyList<SymmetricSecurityKey> Keys { get; }

    public SymmetricSecurityKey Current => Keys[0];

    public static bool TryParse(string? value, out IReadOnlyList<SymmetricSecurityKey> keys, [NotNullWhen(false)] out string? error)
    {
        var list = new List<SymmetricSecurityKey>();
        keys = list;
        error = null;
        foreach (var entry in (value ?? string.Empty).Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = entry.IndexOf(':', StringComparison.Ordinal);
            var id = colon > 0 ? entry[..colon] : string.Empty;
            if (id.Length is 0 or > 64 || !id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                error = "each key is keyId:base64Key, with a key id of 1-64 letters, digits, '-', '_' or '.'.";
                return false;
            }

            if (!TryDecodeKey(entry[(colon + 1)..], out var bytes))
            {
                error = $"the key '{id}' is not base64 of at least {MinKeyBytes} bytes.";
                return false;
            }

            if (list.Any(k => k.KeyId == id))
            {
                error = $"the key id '{id}' appears twice.";
                return false;
            }

            list.Add(new SymmetricSecurityKey(bytes) { KeyId = id });
        }

        return true;
    }

    public static bool TryDecodeKey(string value, [NotNullWhen(true)] out byte[]? bytes)
    {
        bytes = null;
        var buffer = new byte[value.Length];
        if (!Convert.TryFromBase64String(value.Trim(), buffer, out var written) || written < MinKeyBytes)
        {
            return false;
        }

        bytes = buffer[..written];
        return true;
    }

    [LoggerMessage(EventId = 6001, Level = LogLevel.Warning,
        Message = "Identity__SigningKeys is not set: signing tokens with an ephemeral per-process key (Development only). Tokens will not survive a restart or work across instances.")]
    private static partial void LogEphemeralKey(ILogger logger);
}

/// <summary>Derives the stable opaque user id from a WeChat openid; the openid itself never leaves the server.</summary>
internal sealed partial class UserIdDeriver
{
    private readonly byte[] _key;

    public UserIdDeriver(IOptions<IdentityOptions> options, ILogger<UserIdDeriver> logger)
    {
        if (SigningKeyRing.TryDecodeKey(options.Value.UserIdKey, out var key))
        {
            _key = key;
        }
        else
        {
            // Only reachable in Development (validated at start).
            _key = RandomNumberGenerator.GetBytes(SigningKeyRing.MinKeyBytes);
            LogEphemeralKey(logger);
        }
    }

    /// <summary><c>u</c> + base64url(HMAC-SHA256(UserIdKey, "wx:" + appId + ":" + openId)), 132 bits. Never collides with <c>dev-</c> ids.</summary>
    public string FromWeChat(string appId, string openId)
    {
        var mac = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes("wx:" + appId + ":" + openId));
        return "u" + Base64UrlEncoder.Encode(mac)[..22];
    }

    /// <summary>The id of a development sign-in (<c>dev:alice</c> → <c>dev-alice</c>).</summary>
    public static string FromDevelopmentName(string name) => "dev-" + name;

    [LoggerMessage(EventId = 6002, Level = LogLevel.Warning,
        Message = "Identity__UserIdKey is not set: WeChat user ids use an ephemeral per-process key (Development only) and change on restart.")]
    private static partial void LogEphemeralKey(ILogger logger);
}

/// <summary>Why a bearer token was refused (for logs; clients only see 401).</summary>
internal sealed record TokenValidation(ClaimsPrincipal? Principal, string? Failure);

/// <summary>Issues and validates the HS256 access tokens.</summary>
internal sealed class TokenService(SigningKeyRing keys, IOptions<IdentityOptions> options, TimeProvider time)
{
    public const string Algorithm = SecurityAlgorithms.HmacSha256;
    public const int MaxTokenLength = 4096;

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false, MapInboundClaims = false };

    public IssuedToken Issue(string userId)
    {
        var now = time.GetUtcNow();
        var expires = now.AddMinutes(options.Value.TokenLifetimeMinutes);
        var token = _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = options.Value.Issuer,
            Audience = options.Value.Audience,
            IssuedAt = now.UtcDateTime,
            NotBefore = now.UtcDateTime,
            Expires = expires.UtcDateTime,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = userId,
                [JwtRegisteredClaimNames.Jti] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)),
            },
            SigningCredentials = new SigningCredentials(keys.Current, Algorithm),
        });

        // exp has whole-second precision in the token; report what the token says.
        return new IssuedToken(token, DateTimeOffset.FromUnixTimeSeconds(expires.ToUnixTimeSeconds()));
    }

    public async Task<TokenValidation> ValidateAsync(string token)
    {
        if (token.Length > MaxTokenLength)
        {
            return new TokenValidation(null, "The token is too long.");
        }

        var settings = options.Value;
        var skew = TimeSpan.FromSeconds(settings.ClockSkewSeconds);
        var parameters = new TokenValidationParameters
        {
            ValidIssuer = settings.Issuer,
            ValidAudience = settings.Audience,
            ValidateIssuer = true,
            ValidateAudience = true,
            ValidateLifetime = true,
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            ValidateIssuerSigningKey = true,
            IssuerSigningKeys = keys.Keys,
            TryAllIssuerSigningKeys = false,
            ValidAlgorithms = [Algorithm],
            ClockSkew = skew,
            LifetimeValidator = (notBefore, expires, _, _) =>
            {
                var now = time.GetUtcNow().UtcDateTime;
                return expires is { } exp && now <= exp.Add(skew) && (notBefore is not { } nbf || nbf <= now.Add(skew));
            },
            NameClaimType = JwtRegisteredClaimNames.Sub,
            AuthenticationType = BearerTokenHandler.SchemeName,
        };

        try
        {
            var result = await _handler.ValidateTokenAsync(token, parameters).ConfigureAwait(false);
            if (!result.IsValid)
            {
                return new TokenValidation(null, result.Exception?.GetType().Name ?? "invalid");
            }

            var jwt = (JsonWebToken)result.SecurityToken;
            if (jwt.Alg != Algorithm || !jwt.TryGetPayloadValue<string>(JwtRegisteredClaimNames.Sub, out var sub) || !UserIdFormat.IsValid(sub))
            {
                return new TokenValidation(null, "unexpected algorithm or subject");
            }

            var identity = new ClaimsIdentity([new Claim(ClaimsPrincipalExtensions.UserIdClaim, sub)], BearerTokenHandler.SchemeName, ClaimsPrincipalExtensions.UserIdClaim, null);
            return new TokenValidation(new ClaimsPrincipal(identity), null);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenException or FormatException or System.Text.Json.JsonException or InvalidOperationException)
        {
            return new TokenValidation(null, ex.GetType().Name);
        }
    }
}
