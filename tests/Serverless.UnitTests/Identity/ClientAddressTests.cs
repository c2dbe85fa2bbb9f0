using System.Net;
using Microsoft.AspNetCore.Http;
using Serverless.Identity;

namespace Serverless.UnitTests.Identity;

/// <summary>The address the per-IP limits key on: the connection's peer, or the trusted front end's header when one is named.</summary>
public sealed class ClientAddressTests
{
    [Theory]
    [InlineData("203.0.113.7:49828", "203.0.113.7")]
    [InlineData("203.0.113.7", "203.0.113.7")]
    [InlineData("[2001:db8:1:2:3:4:5:6]:443", "2001:db8:1:2::/64")]
    [InlineData(" 198.51.100.2:1 ", "198.51.100.2")]
    public void Of_TrustedHeaderNamed_KeysOnItsAddress(string header, string expected)
    {
        var context = Request("10.0.0.1", ("CLIENT-IP", header));

        Assert.Equal(expected, ClientAddress.Of(context, "CLIENT-IP"));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void Of_NoHeaderNamed_KeysOnThePeer_WhateverTheClientSends(string? trusted)
    {
        var context = Request("::ffff:192.0.2.10", ("CLIENT-IP", "203.0.113.7:1"), ("X-Forwarded-For", "203.0.113.8"));

        Assert.Equal("192.0.2.10", ClientAddress.Of(context, trusted));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("not an address")]
    public void Of_HeaderNamedButMissingOrGarbage_KeysOnThePeer(string? header)
    {
        var context = header is null ? Request("192.0.2.10") : Request("192.0.2.10", ("CLIENT-IP", header));

        Assert.Equal("192.0.2.10", ClientAddress.Of(context, "CLIENT-IP"));
    }

    private static DefaultHttpContext Request(string peer, params (string Name, string Value)[] headers)
    {
        var context = new DefaultHttpContext();
        context.Connection.RemoteIpAddress = IPAddress.Parse(peer);
        foreach (var (name, value) in headers)
        {
            context.Request.Headers[name] = value;
        }

        return context;
    }
}
