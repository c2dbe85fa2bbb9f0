using Microsoft.Extensions.Hosting;

namespace Serverless;

/// <summary>
/// The keys <c>local.settings.sample.json</c> publishes so a local app keeps its sign-ins, user ids and playback URLs
/// across restarts. They are public, so outside Development the app refuses to start with any of them.
/// </summary>
public static class DevelopmentKeys
{
    /// <summary><c>Identity__SigningKeys</c> of the sample (key id <c>dev-local</c>).</summary>
    public const string TokenSigningKeys = "dev-local:WKMrikXtG/QS+QSUmrJ+N7kaxHEfLqqM+S1pLpOKJYQ=";

    /// <summary><c>Identity__UserIdKey</c> of the sample.</summary>
    public const string UserIdKey = "SUnVq8taVUOacGSnIASiOhXZXc5jAigvtI6rzVnz/+I=";

    /// <summary><c>Playback__SigningKey</c> of the sample.</summary>
    public const string PlaybackSigningKey = "Z+9ZG4FzGHhqT/mZWiOMjFIdxJmTtQlwvdYv/FaUxm8=";

    private static readonly string[] Published =
    [
        TokenSigningKeys[(TokenSigningKeys.IndexOf(':', StringComparison.Ordinal) + 1)..],
        UserIdKey,
        PlaybackSigningKey,
    ];

    /// <summary>Whether <paramref name="setting"/> (a key, or a <c>keyId:key</c> list) contains a published development key.</summary>
    public static bool Contains(string? setting) =>
        !string.IsNullOrWhiteSpace(setting) && Published.Any(key => setting.Contains(key, StringComparison.Ordinal));

    /// <summary>The start-up error for a published development key used outside Development, or null.</summary>
    public static string? RefuseOutsideDevelopment(IHostEnvironment environment, string settingName, string? value) =>
        !environment.IsDevelopment() && Contains(value)
            ? $"{settingName} is the development key published in local.settings.sample.json; outside Development set a secret key (Key Vault)."
            : null;
}
