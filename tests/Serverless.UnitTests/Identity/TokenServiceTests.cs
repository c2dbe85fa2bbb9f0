using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;
using Serverless.Identity;

namespace Serverless.UnitTests.Identity;

public sealed class TokenServiceTests
{
    private const string CurrentKey = "k2:Y3VycmVudC1zaWduaW5nLWtleS0wMTIzNDU2Nzg5YWJjZGVm";
    private const string PreviousKey = "k1:cHJldmlvdXMtc2lnbmluZy1rZXktMDEyMzQ1Njc4OWFiY2Q=";

    private readonly ManualTime _time = new(new DateTimeOffset(2025, 3, 1, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public async Task Validate_FreshToken_YieldsSubject()
    {
        var service = Create(CurrentKey + "," + PreviousKey);
        var issued = service.Issue("dev-alice");

        var result = await service.ValidateAsync(issued.Token);

        Assert.Null(result.Failure);
        Assert.Equal("dev-alice", result.Principal!.GetUserId());
        Assert.Equal(_time.GetUtcNow().AddMinutes(60), issued.ExpiresAt);
    }

    [Fact]
    public async Task Validate_AfterExpiryPlusSkew_Refused()
    {
        var service = Create(CurrentKey);
        var token = service.Issue("dev-alice").Token;

        _time.Advance(TimeSpan.FromMinutes(60) + TimeSpan.FromSeconds(20));
        Assert.NotNull((await service.ValidateAsync(token)).Principal); // inside the 30 s skew
        _time.Advance(TimeSpan.FromSeconds(11));
        Assert.Null((await service.ValidateAsync(token)).Principal);
    }

    [Fact]
    public async Task Validate_NotYetValid_Refused()
    {
        var service = Create(CurrentKey);
        var token = service.Issue("dev-alice").Token;

        _time.Advance(TimeSpan.FromMinutes(-5));

        Assert.Null((await service.ValidateAsync(token)).Principal);
    }

    [Fact]
    public async Task Validate_SignedWithPreviousKey_AcceptedAfterRotation()
    {
        var before = Create(PreviousKey);
        var token = before.Issue("dev-alice").Token;

        var after = Create(CurrentKey + "," + PreviousKey);
        var removed = Create(CurrentKey);

        Assert.Equal("dev-alice", (await after.ValidateAsync(token)).Principal!.GetUserId());
        Assert.Null((await removed.ValidateAsync(token)).Principal);
        Assert.Equal("k2", Header(after.Issue("dev-bob").Token)["kid"]);
    }

    [Fact]
    public async Task Validate_SameKidOtherSecret_Refused()
    {
        var forged = Create("k2:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32))).Issue("dev-alice").Token;

        Assert.Null((await Create(CurrentKey).ValidateAsync(forged)).Principal);
    }

    [Fact]
    public async Task Validate_WrongAudienceOrIssuer_Refused()
    {
        var other = Create(CurrentKey, o => o.Audience = "someone-else").Issue("dev-alice").Token;
        var otherIssuer = Create(CurrentKey, o => o.Issuer = "evil").Issue("dev-alice").Token;
        var service = Create(CurrentKey);

        Assert.Null((await service.ValidateAsync(other)).Principal);
        Assert.Null((await service.ValidateAsync(otherIssuer)).Principal);
    }

    [Fact]
    public async Task Validate_TamperedPayload_Refused()
    {
        var service = Create(CurrentKey);
        var parts = service.Issue("dev-alice").Token.Split('.');
        var payload = Encoding.UTF8.GetString(Base64UrlEncoder.DecodeBytes(parts[1])).Replace("dev-alice", "dev-mallory", StringComparison.Ordinal);
        var tampered = parts[0] + "." + Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(payload)) + "." + parts[2];

        Assert.Null((await service.ValidateAsync(tampered)).Principal);
    }

    [Fact]
    public async Task Validate_AlgNone_Refused()
    {
        var service = Create(CurrentKey);
        var parts = service.Issue("dev-alice").Token.Split('.');
        var header = Base64UrlEncoder.Encode("{\"alg\":\"none\",\"kid\":\"k2\",\"typ\":\"JWT\"}");

        Assert.Null((await service.ValidateAsync(header + "." + parts[1] + ".")).Principal);
        Assert.Null((await service.ValidateAsync(header + "." + parts[1] + "." + parts[2])).Principal);
    }

    [Fact]
    public async Task Validate_OtherHmacOrRsaAlgorithm_Refused()
    {
        var service = Create(CurrentKey);
        var parts = service.Issue("dev-alice").Token.Split('.');
        var key = Convert.FromBase64String(CurrentKey[3..]);
        foreach (var alg in new[] { "HS512", "RS256", "ES256" })
        {
            var header = Base64UrlEncoder.Encode("{\"alg\":\"" + alg + "\",\"kid\":\"k2\",\"typ\":\"JWT\"}");
            var signed = header + "." + parts[1];
            var mac = Base64UrlEncoder.Encode(HMACSHA512.HashData(key, Encoding.ASCII.GetBytes(signed)));

            Assert.Null((await service.ValidateAsync(signed + "." + mac)).Principal);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("a.b.c")]
    [InlineData("....")]
    [InlineData("eyJhbGciOiJIUzI1NiJ9.e30.")]
    public async Task Validate_Garbage_RefusedWithoutThrowing(string token)
    {
        Assert.Null((await Create(CurrentKey).ValidateAsync(token)).Principal);
    }

    [Fact]
    public async Task Validate_VeryLongToken_Refused()
    {
        Assert.Null((await Create(CurrentKey).ValidateAsync(new string('a', TokenService.MaxTokenLength + 1))).Principal);
    }

    [Fact]
    public void UserId_SameOpenId_StableAcrossSigningKeysAndNotTheOpenId()
    {
        var first = new UserIdDeriver(Options.Create(new IdentityOptions { UserIdKey = "dXNlci1pZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u", SigningKeys = CurrentKey }), NullLogger<UserIdDeriver>.Instance);
        var rotated = new UserIdDeriver(Options.Create(new IdentityOptions { UserIdKey = "dXNlci1pZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u", SigningKeys = PreviousKey }), NullLogger<UserIdDeriver>.Instance);

        var id = first.FromWeChat("wx123", "oAbCdEfGhIjKlMn");

        Assert.Equal(id, rotated.FromWeChat("wx123", "oAbCdEfGhIjKlMn"));
        Assert.NotEqual(id, first.FromWeChat("wx123", "oAbCdEfGhIjKlMo"));
        Assert.NotEqual(id, first.FromWeChat("wx999", "oAbCdEfGhIjKlMn"));
        Assert.DoesNotContain("oAbCdEfGhIjKlMn", id, StringComparison.Ordinal);
        Assert.Matches("^u[A-Za-z0-9_-]{22}$", id);
    }

    [Theory]
    [InlineData("Production", true, CurrentKey, "dXNlci1pZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u", "Identity__AllowDevelopmentSignIn")]
    [InlineData("Production", false, "", "dXNlci1pZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u", "Identity__SigningKeys")]
    [InlineData("Production", false, CurrentKey, "", "Identity__UserIdKey")]
    [InlineData("Development", false, "k:c2hvcnQ=", "", "Identity__SigningKeys")]
    [InlineData("Development", false, "k1:Y3VycmVudC1zaWduaW5nLWtleS0wMTIzNDU2Nzg5YWJjZGVm,k1:Y3VycmVudC1zaWduaW5nLWtleS0wMTIzNDU2Nzg5YWJjZGVm", "", "Identity__SigningKeys")]
    [InlineData("Development", false, "", "c2hvcnQ=", "Identity__UserIdKey")]
    public void Validator_BadSettings_FailsNamingTheSetting(string environment, bool devSignIn, string signingKeys, string userIdKey, string setting)
    {
        var validator = new IdentityOptionsValidator(new TestEnvironment(environment));
        var result = validator.Validate(null, new IdentityOptions
        {
            AllowDevelopmentSignIn = devSignIn,
            SigningKeys = signingKeys,
            UserIdKey = userIdKey,
            OperatorKeys = "an-operator-key-of-some-length",
        });

        Assert.True(result.Failed);
        Assert.Contains(setting, result.FailureMessage, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Production", false)]
    [InlineData("Development", true)]
    public void Validator_PublishedDevelopmentKeys_OnlyInDevelopment(string environment, bool valid)
    {
        var result = new IdentityOptionsValidator(new TestEnvironment(environment)).Validate(null, new IdentityOptions
        {
            SigningKeys = DevelopmentKeys.TokenSigningKeys,
            UserIdKey = DevelopmentKeys.UserIdKey,
            OperatorKeys = "an-operator-key-of-some-length",
        });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Identity__SigningKeys is the development key", result.FailureMessage, StringComparison.Ordinal);
            Assert.Contains("Identity__UserIdKey is the development key", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Production", "local-operator-key", false)]
    [InlineData("Production", "a-real-operator-key-0123456789, local-operator-key", false)]
    [InlineData("Production", "a-real-operator-key-0123456789", true)]
    [InlineData("Development", "local-operator-key", true)]
    public void Validator_PublishedOperatorKey_OnlyInDevelopment(string environment, string operatorKeys, bool valid)
    {
        var result = new IdentityOptionsValidator(new TestEnvironment(environment)).Validate(null, new IdentityOptions
        {
            SigningKeys = CurrentKey,
            UserIdKey = "dXNlci1pZC1rZXktMDEyMzQ1Njc4OWFiY2RlZmdoaWprbG1u",
            OperatorKeys = operatorKeys,
        });

        Assert.Equal(valid, result.Succeeded);
        if (!valid)
        {
            Assert.Contains("Identity__OperatorKeys is the development key", result.FailureMessage, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Validator_DevelopmentWithoutKeys_Succeeds()
    {
        var result = new IdentityOptionsValidator(new TestEnvironment("Development")).Validate(null, new IdentityOptions { AllowDevelopmentSignIn = true });

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void PerMinute_LowAndHighRates_RefillEvenly()
    {
        var low = EdgeRateLimits.PerMinute(30);
        var high = EdgeRateLimits.PerMinute(6000);

        Assert.Equal((30, 1, TimeSpan.FromSeconds(2)), (low.TokenLimit, low.TokensPerPeriod, low.ReplenishmentPeriod));
        Assert.Equal((6000, 10, TimeSpan.FromMilliseconds(100)), (high.TokenLimit, high.TokensPerPeriod, high.ReplenishmentPeriod));
    }

    private static Dictionary<string, string> Header(string token) =>
        System.Text.Json.JsonSerializer.Deserialize<Dictionary<string, string>>(Base64UrlEncoder.DecodeBytes(token.Split('.')[0]))!;

    private TokenService Create(string signingKeys, Action<IdentityOptions>? configure = null)
    {
        var options = new IdentityOptions { SigningKeys = signingKeys };
        configure?.Invoke(options);
        var wrapped = Options.Create(options);
        return new TokenService(new SigningKeyRing(wrapped, NullLogger<SigningKeyRing>.Instance), wrapped, _time);
    }

    private sealed class ManualTime(DateTimeOffset now) : TimeProvider
    {
        private DateTimeOffset _now = now;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
