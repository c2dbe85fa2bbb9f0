using System.Buffers.Text;
using Microsoft.Extensions.Options;
using Serverless.Playback;

namespace Serverless.UnitTests.Playback;

public sealed class PlaybackTokenTests
{
    private const string KeyA = "Z+9ZG4FzGHhqT/mZWiOMjFIdxJmTtQlwvdYv/FaUxm8=";
    private const string KeyB = "dGVzdC1wbGF5YmFjay1zaWduaW5nLWtleS0zMi1ieXRlcyE=";
    private const string VideoA = "0123456789abcdef0123456789abcdef";
    private const string VideoB = "fedcba9876543210fedcba9876543210";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 3, 1, 12, 0, 0, TimeSpan.Zero));

    [Fact]
    public void Issue_ThenValidate_IsValidUntilExpiry()
    {
        var tokens = Service(KeyA);

        var token = tokens.Issue(VideoA);

        Assert.Equal(_time.GetUtcNow().AddMinutes(10), token.ExpiresAt);
        Assert.Equal(80, token.Value.Length);
        Assert.All(token.Value, c => Assert.True(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'));
        var check = tokens.Validate(token.Value, VideoA);
        Assert.Equal(PlaybackTokenStatus.Valid, check.Status);
        Assert.Equal(token.ExpiresAt, check.ExpiresAt);
    }

    [Fact]
    public void Validate_AtAndAfterExpiry_IsExpired()
    {
        var tokens = Service(KeyA);
        var token = tokens.Issue(VideoA);

        _time.Advance(TimeSpan.FromMinutes(10) - TimeSpan.FromSeconds(1));
        Assert.Equal(PlaybackTokenStatus.Valid, tokens.Validate(token.Value, VideoA).Status);
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(PlaybackTokenStatus.Expired, tokens.Validate(token.Value, VideoA).Status);
        _time.Advance(TimeSpan.FromDays(1));
        Assert.Equal(PlaybackTokenStatus.Expired, tokens.Validate(token.Value, VideoA).Status);
    }

    [Fact]
    public void Validate_TokenOfAnotherVideo_IsInvalid()
    {
        var tokens = Service(KeyA);

        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(tokens.Issue(VideoA).Value, VideoB).Status);
    }

    [Fact]
    public void Validate_AnyFlippedCharacter_IsInvalid()
    {
        var tokens = Service(KeyA);
        var token = tokens.Issue(VideoA).Value;

        for (var i = 0; i < token.Length; i++)
        {
            var chars = token.ToCharArray();
            chars[i] = chars[i] == 'A' ? 'B' : 'A';
            Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(new string(chars), VideoA).Status);
        }
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(40)]
    [InlineData(79)]
    public void Validate_Truncated_IsInvalid(int length)
    {
        var tokens = Service(KeyA);

        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(tokens.Issue(VideoA).Value[..length], VideoA).Status);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not a token")]
    public void Validate_MissingOrGarbage_IsInvalid(string? token)
    {
        Assert.Equal(PlaybackTokenStatus.Invalid, Service(KeyA).Validate(token, VideoA).Status);
    }

    [Fact]
    public void Validate_PaddedOrWhitespaceVariant_IsInvalid()
    {
        var tokens = Service(KeyA);
        var token = tokens.Issue(VideoA).Value;

        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(token + "=", VideoA).Status);
        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(" " + token[1..], VideoA).Status);
        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(token[..40] + " " + token[41..], VideoA).Status);
    }

    [Fact]
    public void Validate_StandardBase64SpellingOfTheSameBytes_IsInvalid()
    {
        var tokens = Service(KeyA);
        var token = Enumerable.Range(0, 200).Select(_ => tokens.Issue(VideoA).Value).First(t => t.Contains('-', StringComparison.Ordinal) || t.Contains('_', StringComparison.Ordinal));
        _time.Advance(TimeSpan.FromSeconds(1));

        var standard = token.Replace('-', '+').Replace('_', '/');

        Assert.Equal(PlaybackTokenStatus.Valid, tokens.Validate(token, VideoA).Status);
        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(standard, VideoA).Status);
    }

    [Fact]
    public void Validate_ExpiryChangedWithoutResigning_IsInvalid()
    {
        var tokens = Service(KeyA);
        var bytes = Base64Url.DecodeFromChars(tokens.Issue(VideoA).Value);

        bytes[27] ^= 0x10; // the expiry's lowest byte (bytes 20..27, big-endian)
        var extended = Base64Url.EncodeToString(bytes);

        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(extended, VideoA).Status);
    }

    [Fact]
    public void Validate_ExpiredTokenWithExtendedExpiry_IsInvalidNotExpired()
    {
        var tokens = Service(KeyA);
        var bytes = Base64Url.DecodeFromChars(tokens.Issue(VideoA).Value);
        _time.Advance(TimeSpan.FromHours(1));

        bytes[25] ^= 0x01; // + 65536 s
        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(Base64Url.EncodeToString(bytes), VideoA).Status);
    }

    [Fact]
    public void Validate_SignedWithPreviousKeyDuringRotation_IsValid()
    {
        var beforeRotation = Service(KeyA).Issue(VideoA).Value;

        var rotated = Service(KeyB, previous: KeyA);

        Assert.Equal(PlaybackTokenStatus.Valid, rotated.Validate(beforeRotation, VideoA).Status);
        Assert.Equal(PlaybackTokenStatus.Valid, rotated.Validate(rotated.Issue(VideoA).Value, VideoA).Status);
    }

    [Fact]
    public void Validate_SignedWithRetiredKey_IsInvalid()
    {
        var old = Service(KeyA).Issue(VideoA).Value;

        Assert.Equal(PlaybackTokenStatus.Invalid, Service(KeyB).Validate(old, VideoA).Status);
    }

    [Fact]
    public void Validate_KeyIdOfCurrentKeyWithSignatureOfAnother_IsInvalid()
    {
        // A token claiming the current key's id but signed with another key.
        var current = Service(KeyB);
        var forged = Base64Url.DecodeFromChars(Service(KeyA).Issue(VideoA).Value);
        var genuine = Base64Url.DecodeFromChars(current.Issue(VideoA).Value);
        genuine.AsSpan(1, 3).CopyTo(forged.AsSpan(1, 3));

        Assert.Equal(PlaybackTokenStatus.Invalid, current.Validate(Base64Url.EncodeToString(forged), VideoA).Status);
    }

    [Fact]
    public void IssueForOwner_BoundToThatUserAlone_ShortLived()
    {
        var tokens = Service(KeyA);

        var token = tokens.IssueForOwner(VideoA, "dev-alice");
        var check = tokens.Validate(token.Value, VideoA);

        Assert.Equal(_time.GetUtcNow().AddMinutes(5), token.ExpiresAt);
        Assert.Equal(104, token.Value.Length);
        Assert.Equal((PlaybackTokenStatus.Valid, token.ExpiresAt), (check.Status, check.ExpiresAt));
        Assert.True(check.IsBoundTo("dev-alice"));
        Assert.False(check.IsBoundTo("dev-bob"));
        Assert.False(check.IsBoundTo("dev-alicE"));
        var anyone = tokens.Validate(tokens.Issue(VideoA).Value, VideoA);
        Assert.Null(anyone.Owner);
        Assert.False(anyone.IsBoundTo("dev-alice"));
        _time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal(PlaybackTokenStatus.Expired, tokens.Validate(token.Value, VideoA).Status);
    }

    [Fact]
    public void Validate_OwnerTokenWithAnotherOwnerOrRetruncated_IsInvalid()
    {
        var tokens = Service(KeyA);
        var alice = Base64Url.DecodeFromChars(tokens.IssueForOwner(VideoA, "dev-alice").Value);
        var bob = Base64Url.DecodeFromChars(tokens.IssueForOwner(VideoA, "dev-bob").Value);

        // Alice's signature over Bob's binding; and the binding cut off to pass for a token anyone may use.
        var swapped = alice.ToArray();
        bob.AsSpan(28, 18).CopyTo(swapped.AsSpan(28, 18));
        var unbound = alice[..28].Concat(alice[46..]).ToArray();
        unbound[0] = 1;

        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(Base64Url.EncodeToString(swapped), VideoA).Status);
        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(Base64Url.EncodeToString(unbound), VideoA).Status);
        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(tokens.IssueForOwner(VideoA, "dev-alice").Value, VideoB).Status);
        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(tokens.IssueForOwner(VideoA, "dev-alice").Value[..103], VideoA).Status);
    }

    [Fact]
    public void Issue_MalformedVideoId_Throws()
    {
        Assert.Throws<ArgumentException>(() => Service(KeyA).Issue("ABCDEF0123456789ABCDEF0123456789"));
    }

    [Fact]
    public void Validate_UppercaseVideoId_IsInvalid()
    {
        var tokens = Service(KeyA);

        Assert.Equal(PlaybackTokenStatus.Invalid, tokens.Validate(tokens.Issue(VideoA).Value, VideoA.ToUpperInvariant()).Status);
    }

    [Theory]
    [InlineData("", null, false)]
    [InlineData("c2hvcnQ=", null, false)]
    [InlineData("not base64!", null, false)]
    [InlineData(KeyA, null, true)]
    [InlineData(KeyA, "c2hvcnQ=", false)]
    [InlineData(KeyA, KeyA, false)]
    [InlineData(KeyA, KeyB, true)]
    public void OptionsValidation_Keys_AcceptsOnlyStrongDistinctKeys(string current, string? previous, bool valid)
    {
        var options = new PlaybackOptions { SigningKey = current, PreviousSigningKey = previous ?? string.Empty };

        var annotations = System.ComponentModel.DataAnnotations.Validator.TryValidateObject(options, new(options), null, validateAllProperties: true);
        var result = new PlaybackOptionsValidator(new TestEnvironment("Development")).Validate(null, options);

        Assert.Equal(valid, annotations && result.Succeeded);
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("https://play.example.com", true)]
    [InlineData("https://play.example.com/base/", true)]
    [InlineData("play.example.com", false)]
    [InlineData("ftp://play.example.com", false)]
    [InlineData("https://play.example.com/?x=1", false)]
    public void OptionsValidation_PublicBaseUrl_MustBeAbsoluteHttp(string url, bool valid)
    {
        var result = new PlaybackOptionsValidator(new TestEnvironment("Development")).Validate(null, new PlaybackOptions { SigningKey = KeyA, PublicBaseUrl = url });

        Assert.Equal(valid, result.Succeeded);
    }

    [Theory]
    [InlineData("Production", false)]
    [InlineData("Staging", false)]
    [InlineData("Development", true)]
    public void OptionsValidation_PublishedDevelopmentKey_OnlyInDevelopment(string environment, bool valid)
    {
        var result = new PlaybackOptionsValidator(new TestEnvironment(environment)).Validate(null, new PlaybackOptions { SigningKey = DevelopmentKeys.PlaybackSigningKey });

        Assert.Equal(valid, result.Succeeded);
        Assert.True(valid || result.FailureMessage!.Contains("Playback__SigningKey is the development key", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("Production", false)]
    [InlineData("Development", true)]
    public void Validator_PublishedKeyAsThePreviousOne_OnlyInDevelopment(string environment, bool valid)
    {
        var result = new PlaybackOptionsValidator(new TestEnvironment(environment))
            .Validate(null, new PlaybackOptions { SigningKey = KeyB, PreviousSigningKey = DevelopmentKeys.PlaybackSigningKey });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Playback__PreviousSigningKey is the development key", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    private PlaybackTokenService Service(string key, string? previous = null) =>
        new(Options.Create(new PlaybackOptions { SigningKey = key, PreviousSigningKey = previous ?? string.Empty }), _time);
}
