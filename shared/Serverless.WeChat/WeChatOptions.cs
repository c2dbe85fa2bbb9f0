using System.ComponentModel.DataAnnotations;

namespace Serverless.WeChat;

/// <summary>The mini-program's WeChat credentials and how its server APIs are called: <c>code2Session</c>, <c>stable_token</c>, the content check (section <c>WeChat</c>).</summary>
public sealed class WeChatOptions
{
    public const string SectionName = "WeChat";

    /// <summary>The mini-program's AppID. Required outside Development.</summary>
    public string AppId { get; set; } = string.Empty;

    /// <summary>The mini-program's AppSecret. Required outside Development; never logged or returned.</summary>
    public string AppSecret { get; set; } = string.Empty;

    /// <summary>The WeChat API base address. Default <c>https://api.weixin.qq.com</c>.</summary>
    [Required]
    [Url]
    public string BaseUrl { get; set; } = "https://api.weixin.qq.com";

    /// <summary>Time allowed for one <c>code2Session</c> attempt. Default 5 seconds.</summary>
    [Range(0.1, 60)]
    public double AttemptTimeoutSeconds { get; set; } = 5;

    /// <summary>Retries on transient faults (network, 5xx, 408, 429, <c>errcode -1</c>). Default 2.</summary>
    [Range(0, 5)]
    public int MaxRetries { get; set; } = 2;

    /// <summary>Base delay of the exponential, jittered backoff between retries. Default 200 ms.</summary>
    [Range(1, 10000)]
    public int RetryDelayMilliseconds { get; set; } = 200;

    /// <summary>
    /// This deployment's fixed outbound IP, when it has one (the Bicep's fixed outbound IP option sets it from the NAT
    /// gateway's public IP). Only named in the message for errcode 40164, so an operator knows what to add to WeChat's API
    /// IP allow-list. Empty when the deployment has none.
    /// </summary>
    public string OutboundIp { get; set; } = string.Empty;

    public bool IsConfigured => !string.IsNullOrWhiteSpace(AppId) && !string.IsNullOrWhiteSpace(AppSecret);
}
