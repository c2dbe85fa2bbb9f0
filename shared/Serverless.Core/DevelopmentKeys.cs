using Microsoft.Extensions.Hosting;

namespace Serverless;

/// <summary>
/// The keys and secrets <c>local.settings.sample.json</c> publishes so a local app keeps its sign-ins, user ids and playback
/// URLs across restarts and takes operator calls and pushes. They are public, so outside Development the app refuses to
/// start with any of them, in any setting that holds a secret.
/// </summary>
public static class DevelopmentKeys
{
    /// <summary><c>Identity__SigningKeys</c> of the sample (key id <c>dev-local</c>).</summary>
    public const string TokenSigningKeys = "dev-local:WKMrikXtG/QS+QSUmrJ+N7kaxHEfLqqM+S1pLpOKJYQ=";

    /// <summary><c>Identity__UserIdKey</c> of the sample.</summary>
    public const string UserIdKey = "SUnVq8taVUOacGSnIASiOhXZXc5jAigvtI6rzVnz/+I=";

    /// <summary><c>Playback__SigningKey</c> of the sample.</summary>
    public const string PlaybackSigningKey = "Z+9ZG4FzGHhqT/mZWiOMjFIdxJmTtQlwvdYv/FaUxm8=";

    /// <summary><c>Identity__OperatorKeys</c> of the sample.</summary>
    public const string OperatorKey = "local-operator-key";

    /// <summary><c>Review__PushToken</c> of the sample.</summary>
    public const string PushToken = "local-push-token";

    private static readonly string[] Published =
    [
        TokenSigningKeys[(TokenSigningKeys.IndexOf(':', StringComparison.Ordinal) + 1)..],
        UserIdKey,
        PlaybackSigningKey,
    ];

    /// <summary>Published secrets that are whole entries of a setting (a comma-separated list), not parts of one.</summary>
    private static readonly string[] PublishedEntries = [OperatorKey, PushToken];

    /// <summary>
    /// Whether <paramref name="setting"/> (a key, a <c>keyId:key</c> list, or a comma-separated list of secrets) contains a
    /// published development key or secret.
    /// </summary>
    public static bool Contains(string? setting) =>
        !string.IsNullOrWhiteSpace(setting)
        && (Published.Any(key => setting.Contains(key, StringComparison.Ordinal))
            || setting.Split(',', StringSplitOptions.TrimEntries).Any(entry => PublishedEntries.Contains(entry, StringComparer.Ordinal)));

    /// <summary>The start-up error for a published development key used outside Development, or null.</summary>
    public static string? RefuseOutsideDevelopment(IHostEnvironment environment, string settingName, string? value) =>
        !environment.IsDevelopment() && Contains(value)
            ? $"{settingName} is the development key published in local.settings.sample.json; outside Development set a secret key (Key Vault)."
            : null;
}
