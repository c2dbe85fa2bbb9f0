using Serverless.WeChat;

namespace Serverless.UnitTests.WeChat;

/// <summary>errcode 40164 read as what it is: the address, not the credentials.</summary>
public sealed class WeChatIpAllowListTests
{
    [Theory]
    [InlineData("invalid ip 203.0.113.7 ipv6 ::ffff:203.0.113.7, not in whitelist rid: 6753a1f2-0c1d2e3f", "203.0.113.7")]
    [InlineData("invalid ip 198.51.100.2, not in whitelist hint: [abc]", "198.51.100.2")]
    [InlineData("invalid ip 2001:db8::1, not in whitelist", "2001:db8::1")]
    [InlineData("invalid ip 999.1.1.1, not in whitelist", null)]
    [InlineData("not in whitelist", null)]
    [InlineData(null, null)]
    public void SeenAddress_IsTheAddressInWeChatsMessage(string? errMsg, string? expected)
    {
        Assert.Equal(expected, WeChatIpAllowList.SeenAddress(errMsg));
    }

    [Fact]
    public void Describe_WithoutAFixedOutboundIp_SaysHowToGetOne()
    {
        var text = WeChatIpAllowList.Describe("invalid ip 203.0.113.7, not in whitelist", "");

        Assert.Contains("203.0.113.7", text, StringComparison.Ordinal);
        Assert.Contains("no fixed outbound IP", text, StringComparison.Ordinal);
        Assert.Contains("infra/README.md", text, StringComparison.Ordinal);
    }
}
