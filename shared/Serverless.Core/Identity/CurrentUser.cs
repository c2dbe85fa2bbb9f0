using System.Security.Claims;

namespace Serverless.Identity;

/// <summary>Authorization policy names every area uses.</summary>
public static class AuthPolicies
{
    /// <summary>A signed-in mini-program user; the user id is the <c>sub</c> claim.</summary>
    public const string User = "user";

    /// <summary>An operator holding an operator key (<c>x-functions-key</c>).</summary>
    public const string Operator = "operator";
}

public static class ClaimsPrincipalExtensions
{
    public const string UserIdClaim = "sub";

    /// <summary>The signed-in user's opaque id. Only valid on endpoints that require <see cref="AuthPolicies.User"/>.</summary>
    public static string GetUserId(this ClaimsPrincipal principal) =>
        principal.FindFirstValue(UserIdClaim) ?? principal.FindFirstValue(ClaimTypes.NameIdentifier)
        ?? throw new InvalidOperationException("The request is not authenticated as a user.");
}

/// <summary>The shape every user id has (WeChat-derived <c>u…</c> or development <c>dev-…</c>): safe in table keys and blob paths.</summary>
public static class UserIdFormat
{
    public const int MaxDevelopmentNameLength = 64;

    public static bool IsValid(string? id) =>
        id is { Length: > 0 and <= 80 } && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    public static bool IsValidDevelopmentName(string name) =>
        name.Length is > 0 and <= MaxDevelopmentNameLength && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
