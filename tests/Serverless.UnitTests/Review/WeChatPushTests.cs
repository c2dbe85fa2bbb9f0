using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using Serverless.UnitTests.Playback;
using Serverless.WeChat.Push;

namespace Serverless.UnitTests.Review;

public sealed class WeChatPushTests
{
    // WeChat's own worked examples (mini-program 消息推送 guide: Token "AAAAA", EncodingAESKey 43 × "A").
    private const string DocToken = "AAAAA";
    private const string DocAesKey = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
    private const string DocAppId = "wxba5fad812f8e6fb9";
    private const string DocEncrypt = "+qdx1OKCy+5JPCBFWw70tm0fJGb2Jmeia4FCB7kao+/Q5c/ohsOzQHi8khUOb05JCpj0JB4RvQMkUyus8TPxLKJGQqcvZqzDpVzazhZv6JsXUnnR8XGT740XgXZUXQ7vJVnAG+tE8NUd4yFyjPy7GgiaviNrlCTj+l5kdfMuFUPpRSrfMZuMcp3Fn2Pede2IuQrKEYwKSqFIZoNqJ4M8EajAsjLY2km32IIjdf8YL/P50F7mStwntrA2cPDrM1kb6mOcfBgRtWygb3VIYnSeOBrebufAlr7F9mFUPAJGj04=";
    private const string DocMessage = "{\"ToUserName\":\"gh_97417a04a28d\",\"FromUserName\":\"o9AgO5Kd5ggOC-bXrbNODIiE3bGY\",\"CreateTime\":1714112445,\"MsgType\":\"event\",\"Event\":\"debug_demo\",\"debug_str\":\"hello world\"}";
    private static readonly WeChatPushQuery DocSafeQuery = new("6c5c811b55cc85e0e1b54100749188c20beb3f5d", "1714112445", "415670741", "aes", "046e02f8204d34f8ba5fa3b1db94908f3df2e9b3");

    // Computed once with python3 hashlib + cryptography (AES-256-CBC, key = b64decode(key + "=")), cross-checked with
    // `openssl enc -aes-256-cbc -nopad` and `openssl sha1`; random prefix bytes 0xA0..0xAF. The key is not all zeros,
    // so swapping key and IV halves would show, and its last character carries non-zero discarded bits.
    private const string VecToken = "reviewToken42";
    private const string VecAesKey = "Wb3nQ7kLp2VtR9xZc4MfH8sJd6YgA1eUo5iKqT0rNwx";
    private const string VecAppId = "wx1234567890abcdef";
    private const string VecEncrypt = "NTFrCUiddPG+kyopn8aUmknJmU1iR8p2AN6TiXb21djIYEbMI5zahMESUUn+oc+kei6yJ+P2CMqaFUST9HhlyAeKFNNMUTPUC22Q72CAIgsN678RQm5mDXajzoyfuSPv8qE6xkWYIzMtOwkith3km++HrpO4Bz9OJMjxdva/oIsFZGHrsNDx6nVQuMkmTrI4g6tPVvHprSPQlernNxROlyYuwz4oX9wbVDcu3NnCu5y89ITn+7YOtFWARW4k+yQI2ry+WNANHUqDkNM99tXxCHBgdEDX366ndaO6yfBqYcxcDaAGcUQnq1/z0C8rW57w/Yw9bLxe98eg9m2s6l4bJwTvhqGRpO3YosrL+6wcgnIAHiggadzyMOvkR/DdhgZTK1nCGzBJR/HRnhroWrHVK2DP695cvuQVi7UqKCs+NN9qnt17phfFj/7ayIHK6S3O7D1i9gwxeoYBNnR/O/JPL0feAQI7QJU9vj7b42RFFGEr62wTAGByaCuNpk/wbk3F1EtAc02GgJDnSQqOp1+o2wJnQkuzND2AyZsWdke0gXWs+/xeJpgEH6sSmYKf95pnBdP4me+9XMGC4oB9UFpzr1inhEzQsujvpy0cdKXtGUgKLacBF/b2lRorgaPAZPYphp5F1mISYqPJ+ltfqheVlO8E+3w398emJaRwchFCK0KIW9Q2ButJIK63H2WyJhox1eo5GpLm3h2i0jvqIQaVoBMjFVV8aqz99tyNlcf896VVSjfy9AxcEbNolAuKpsKx0ifFzamYktvLBSEqS1vIph6/XWRtJfv4DqvFaXE5dENVGQoaTng5/ivUVoehN3klOB5srMLqxKGf3kYPkNnELtZWMLz6mNRxBmS5qxOkdTl5EDh8+co+y4lW84bb8nWAU+lsdOGuoKpemK4M/dj/eySYSIzSsrmhpaIh2DFdjfE=";
    private const string VecMsgSignature = "2f2dbdcf50e5297c1bdd7f69bc3ca89525efa978";
    private const string VecTimestamp = "1767225600";
    private const string VecNonce = "1385904217";

    // The push example of security.mediaCheckAsync (version 2), as documented.
    private const string MediaCheckJson = """
        {
           "ToUserName": "gh_9df7d78a1234",
           "FromUserName": "o4_t144jTUSEoxydysUA2E234_tc",
           "CreateTime": 1626959646,
           "MsgType": "event",
           "Event": "wxa_media_check",
           "appid": "wx8f16a5be77871234",
           "trace_id": "60f96f1d-3845297a-1976a3ae",
           "version": 2,
           "detail": [{
                "strategy": "content_model",
                "errcode": 0,
                "suggest": "pass",
                "label": 100,
                "prob": 90
           }],
           "errcode": 0,
           "errmsg": "ok",
           "result": {
                "suggest": "pass",
                "label": 100
           }
        }
        """;

    private const string MediaCheckXml = """
        <xml>
          <ToUserName><![CDATA[gh_6e306981e699]]></ToUserName>
          <FromUserName><![CDATA[oeaTy0Ej7xM_LexOCWGeJtL4ABoE]]></FromUserName>
          <CreateTime>1659967849</CreateTime>
          <MsgType><![CDATA[event]]></MsgType>
          <Event><![CDATA[wxa_media_check]]></Event>
          <appid><![CDATA[wx12b4f63276b14d4c]]></appid>
          <trace_id><![CDATA[62f11967-2b24d27a-34715985]]></trace_id>
          <version>2</version>
          <detail>
            <strategy><![CDATA[content_model]]></strategy>
            <errcode>0</errcode>
            <suggest><![CDATA[review]]></suggest>
            <label>20012</label>
            <prob>60</prob>
          </detail>
          <detail>
            <strategy><![CDATA[keyword]]></strategy>
            <errcode>0</errcode>
          </detail>
          <errcode>0</errcode>
          <errmsg><![CDATA[ok]]></errmsg>
          <result>
            <suggest><![CDATA[review]]></suggest>
            <label>20012</label>
          </result>
        </xml>
        """;

    private readonly FakeTimeProvider _time = new(DateTimeOffset.FromUnixTimeSeconds(1714112445));

    // ---- URL verification -------------------------------------------------------------------------------------

    [Fact]
    public void VerifyUrl_DocumentedExample_EchoesEchostr()
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time);

        var result = verifier.VerifyUrl("f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504", "1514711492", "4375120948345356249");

        Assert.True(result.IsAccepted);
        Assert.Equal("4375120948345356249", result.Value);
    }

    [Theory]
    [InlineData("f464b24fc39322e44b38aa78f5edd27bd1441697")] // last digit changed
    [InlineData("0000000000000000000000000000000000000000")]
    [InlineData("f464b24fc39322e44b38aa78f5edd27bd144169")] // one short
    [InlineData("")]
    [InlineData(null)]
    [InlineData("f464b24fc39322e44b38aa78f5edd27bd144169\u00e9")]
    public void VerifyUrl_ForgedSignature_Refused(string? signature)
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time);

        var result = verifier.VerifyUrl(signature, "1714036504", "1514711492", "4375120948345356249");

        Assert.False(result.IsAccepted);
        Assert.Equal(PushRejection.BadSignature, result.Rejection);
    }

    [Fact]
    public void VerifyUrl_OtherToken_Refused()
    {
        var verifier = new WeChatPushVerifier("BBBBB", null, DocAppId, _time);

        Assert.Equal(PushRejection.BadSignature, verifier.VerifyUrl("f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504", "1514711492", "1").Rejection);
    }

    [Fact]
    public void VerifyUrl_UppercaseHexSignature_Accepted()
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time);

        Assert.True(verifier.VerifyUrl("F464B24FC39322E44B38AA78F5EDD27BD1441696", "1714036504", "1514711492", "1").IsAccepted);
    }

    [Theory]
    [InlineData("<script>alert(1)</script>")]
    [InlineData("")]
    [InlineData(null)]
    [InlineData("a b")]
    public void VerifyUrl_EchostrNotPlain_Malformed(string? echostr)
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time);

        Assert.Equal(PushRejection.Malformed, verifier.VerifyUrl("f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504", "1514711492", echostr).Rejection);
    }

    [Fact]
    public void VerifyUrl_NoToken_NotConfigured()
    {
        var verifier = new WeChatPushVerifier("", null, DocAppId, _time);

        Assert.Equal(PushRejection.NotConfigured, verifier.VerifyUrl("f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504", "1514711492", "1").Rejection);
    }

    // ---- Plain mode -------------------------------------------------------------------------------------------

    [Fact]
    public void Receive_DocumentedPlainExample_IsOtherMessage()
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time);
        const string body = "{\"ToUserName\":\"gh_97417a04a28d\",\"FromUserName\":\"o9AgO5Kd5ggOC-bXrbNODIiE3bGY\",\"CreateTime\":1714037059,\"MsgType\":\"event\",\"Event\":\"debug_demo\",\"debug_str\":\"hello world\"}";

        var result = verifier.Receive(new WeChatPushQuery("899cf89e464efb63f54ddac96b0a0a235f53aa78", "1714037059", "486452656"), body);

        Assert.True(result.IsAccepted);
        Assert.Equal(new OtherPushMessage("event", "debug_demo"), result.Value);
    }

    [Fact]
    public void Open_PlainWrongSignature_BadSignature()
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time);

        var result = verifier.Open(new WeChatPushQuery("899cf89e464efb63f54ddac96b0a0a235f53aa79", "1714037059", "486452656"), "{}");

        Assert.Equal(PushRejection.BadSignature, result.Rejection);
    }

    [Fact]
    public void Open_PlainWhileSafeModeConfigured_Unencrypted()
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);

        var result = verifier.Open(new WeChatPushQuery("899cf89e464efb63f54ddac96b0a0a235f53aa78", "1714037059", "486452656"), "{\"MsgType\":\"event\"}");

        Assert.Equal(PushRejection.Unencrypted, result.Rejection);
    }

    [Fact]
    public void Receive_PlainMediaCheckForAnotherApp_WrongAppId()
    {
        var verifier = new WeChatPushVerifier(DocToken, null, "wxSomeoneElse", _time);

        var result = verifier.Receive(new WeChatPushQuery("899cf89e464efb63f54ddac96b0a0a235f53aa78", "1714037059", "486452656"), MediaCheckJson);

        Assert.Equal(PushRejection.WrongAppId, result.Rejection);
    }

    // ---- Safe mode: vectors -----------------------------------------------------------------------------------

    [Fact]
    public void Open_DocumentedSafeModeExample_DecryptsToDocumentedMessage()
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time, WeChatPushVerifier.DefaultFreshness);
        var body = "{\"ToUserName\":\"gh_97417a04a28d\",\"Encrypt\":\"" + DocEncrypt + "\"}";

        var result = verifier.Open(DocSafeQuery, body);

        Assert.True(result.IsAccepted, result.ToString());
        Assert.Equal(DocMessage, result.Value);
        Assert.Equal(new OtherPushMessage("event", "debug_demo"), verifier.Receive(DocSafeQuery, body).Value);
    }

    [Fact]
    public void Encrypt_DocumentedReplyExample_MatchesDocumentedCiphertextAndSignature()
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);

        var envelope = verifier.Encrypt("{\"demo_resp\":\"good luck\"}", "415670741", 1713424427, "707722b803182950"u8);

        Assert.Equal("ELGduP2YcVatjqIS+eZbp80MNLoAUWvzzyJxgGzxZO/5sAvd070Bs6qrLARC9nVHm48Y4hyRbtzve1L32tmxSQ==", envelope.Encrypt);
        Assert.Equal("1b9339964ed2e271e7c7b6ff2b0ef902fc94dea1", envelope.Query.MsgSignature);
        Assert.Equal("1713424427", envelope.Query.Timestamp);
        Assert.Equal("aes", envelope.Query.EncryptType);
    }

    [Fact]
    public void Receive_IndependentXmlVector_YieldsRiskyMediaCheck()
    {
        _time.Advance(TimeSpan.FromSeconds(long.Parse(VecTimestamp, System.Globalization.CultureInfo.InvariantCulture) - _time.GetUtcNow().ToUnixTimeSeconds()));
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time, WeChatPushVerifier.DefaultFreshness);
        var body = "<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName><Encrypt><![CDATA[" + VecEncrypt + "]]></Encrypt></xml>";

        var result = verifier.Receive(new WeChatPushQuery(null, VecTimestamp, VecNonce, "aes", VecMsgSignature), body);

        Assert.True(result.IsAccepted, result.ToString());
        var check = Assert.IsType<MediaCheckEvent>(result.Value);
        Assert.Equal("6954f000-1a2b3c4d-5e6f7a8b", check.TraceId);
        Assert.Equal(VecAppId, check.AppId);
        Assert.Equal(2, check.Version);
        Assert.Equal(0, check.ErrCode);
        Assert.Equal("ok", check.ErrMsg);
        Assert.Equal(new MediaCheckResult(MediaCheckSuggest.Risky, 20002), check.Result);
        Assert.Equal([new MediaCheckDetail("content_model", 0, MediaCheckSuggest.Risky, 20002, 97)], check.Detail);
    }

    [Fact]
    public void Decrypt_IndependentVector_EndsWithTheXmlMessage()
    {
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time);

        var text = verifier.Decrypt(VecEncrypt).Value!;

        Assert.StartsWith("<xml><ToUserName><![CDATA[gh_0123456789ab]]></ToUserName>", text, StringComparison.Ordinal);
        Assert.EndsWith("<result><suggest><![CDATA[risky]]></suggest><label>20002</label></result></xml>", text, StringComparison.Ordinal);
        Assert.Equal(VecMsgSignature, WeChatPushVerifier.Sign(VecToken, VecTimestamp, VecNonce, VecEncrypt));
    }

    [Fact]
    public void Encrypt_IndependentVectorInputs_GiveTheSameCiphertext()
    {
        // Decrypting cannot show a wrong IV (it only garbles the discarded random block); encrypting can.
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time);
        var message = verifier.Decrypt(VecEncrypt).Value!;
        byte[] random = [0xA0, 0xA1, 0xA2, 0xA3, 0xA4, 0xA5, 0xA6, 0xA7, 0xA8, 0xA9, 0xAA, 0xAB, 0xAC, 0xAD, 0xAE, 0xAF];

        var envelope = verifier.Encrypt(message, VecNonce, 1767225600, random);

        Assert.Equal(VecEncrypt, envelope.Encrypt);
        Assert.Equal(VecMsgSignature, envelope.Query.MsgSignature);
    }

    // ---- Safe mode: round trips -------------------------------------------------------------------------------

    [Fact]
    public void EncryptThenReceive_Json_RoundTrips()
    {
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, "wx8f16a5be77871234", _time, WeChatPushVerifier.DefaultFreshness);

        var envelope = verifier.Encrypt(MediaCheckJson);
        Assert.Equal(MediaCheckJson, verifier.Open(envelope.Query, envelope.ToJson("gh_9df7d78a1234")).Value);
        var result = verifier.Receive(envelope.Query, envelope.ToJson("gh_9df7d78a1234"));

        var check = Assert.IsType<MediaCheckEvent>(result.Value);
        Assert.Equal("60f96f1d-3845297a-1976a3ae", check.TraceId);
        Assert.Equal(new MediaCheckResult(MediaCheckSuggest.Pass, 100), check.Result);
        Assert.Equal([new MediaCheckDetail("content_model", 0, MediaCheckSuggest.Pass, 100, 90)], check.Detail);
    }

    [Fact]
    public void EncryptThenReceive_Xml_RoundTrips()
    {
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, "wx12b4f63276b14d4c", _time);

        var envelope = verifier.Encrypt(MediaCheckXml, "12345");
        var result = verifier.Receive(envelope.Query, envelope.ToXml("gh_6e306981e699"));

        Assert.Equal("12345", envelope.Query.Nonce);
        var check = Assert.IsType<MediaCheckEvent>(result.Value);
        Assert.Equal(new MediaCheckResult(MediaCheckSuggest.Review, 20012), check.Result);
        Assert.Equal(2, check.Detail.Count);
        Assert.Equal(new MediaCheckDetail("keyword", 0, null, null, null), check.Detail[1]);
    }

    [Fact]
    public void EncryptThenOpen_NonAsciiMessage_RoundTrips()
    {
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time);
        const string message = "{\"MsgType\":\"text\",\"Content\":\"测试 ✓ \uD83D\uDE00\"}";

        var envelope = verifier.Encrypt(message);

        Assert.Equal(message, verifier.Open(envelope.Query, envelope.ToJson("gh_x")).Value);
        Assert.Equal(new OtherPushMessage("text", null), verifier.Receive(envelope.Query, envelope.ToJson("gh_x")).Value);
    }

    // ---- Safe mode: refusals ----------------------------------------------------------------------------------

    [Fact]
    public void Open_TamperedCiphertextUnderOriginalSignature_BadSignature()
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);
        var tampered = (DocEncrypt[0] == 'A' ? "B" : "A") + DocEncrypt[1..];

        var result = verifier.Open(DocSafeQuery, Envelope(tampered));

        Assert.Equal(PushRejection.BadSignature, result.Rejection);
    }

    [Fact]
    public void Open_TamperedPaddingBlockResigned_Malformed()
    {
        // Someone holding the Token but not the key: flipping the last byte of the next-to-last AES block flips the pad count.
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);
        var cipher = Convert.FromBase64String(DocEncrypt);
        cipher[^17] ^= 0x01;
        var tampered = Convert.ToBase64String(cipher);

        var result = verifier.Open(Signed(DocToken, tampered), Envelope(tampered));

        Assert.Equal(PushRejection.Malformed, result.Rejection);
    }

    [Fact]
    public void Open_AnotherAppsMessage_WrongAppId()
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, "wx0000000000000000", _time);

        Assert.Equal(PushRejection.WrongAppId, verifier.Open(DocSafeQuery, Envelope(DocEncrypt)).Rejection);
    }

    [Fact]
    public void Open_OtherEncodingAesKey_Refused()
    {
        var verifier = new WeChatPushVerifier(DocToken, VecAesKey, DocAppId, _time);

        var result = verifier.Open(DocSafeQuery, Envelope(DocEncrypt));

        Assert.False(result.IsAccepted);
        Assert.True(result.Rejection is PushRejection.Malformed or PushRejection.WrongAppId, result.ToString());
    }

    public static TheoryData<string, byte[]> BadPaddings => new()
    {
        { "pad byte 0", Pad(Content(), 0, 32) },
        { "pad byte 33", Pad(Content(), 33, 32) },
        { "pad bytes disagree", PadMismatched(Content()) },
        { "no padding at all", Unpadded(Content()) },
    };

    [Theory]
    [MemberData(nameof(BadPaddings))]
    public void Open_BadPadding_Malformed(string why, byte[] plain)
    {
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time);
        var encrypt = EncryptRaw(VecAesKey, plain);

        var result = verifier.Open(Signed(VecToken, encrypt), Envelope(encrypt));

        Assert.True(result.Rejection == PushRejection.Malformed, why);
    }

    [Fact]
    public void Open_ValidPaddingOf16_IsAcceptedLikeWeChatsOwn()
    {
        // The reference decoders accept any pad count 1..32; a well-formed one that is not a multiple of 32 decrypts.
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time);
        var content = Content();
        var encrypt = EncryptRaw(VecAesKey, Pad(content, 16 - (content.Length % 16), 16 - (content.Length % 16)));

        Assert.Equal("{\"MsgType\":\"text\"}", verifier.Open(Signed(VecToken, encrypt), Envelope(encrypt)).Value);
    }

    [Fact]
    public void Open_LengthPrefixBeyondContent_Malformed()
    {
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time);
        var content = Content();
        BinaryPrimitives.WriteUInt32BigEndian(content.AsSpan(16), uint.MaxValue);
        var encrypt = EncryptRaw(VecAesKey, Pad(content, 32 - (content.Length % 32), 32 - (content.Length % 32)));

        Assert.Equal(PushRejection.Malformed, verifier.Open(Signed(VecToken, encrypt), Envelope(encrypt)).Rejection);
    }

    [Fact]
    public void Open_InvalidUtf8Message_Malformed()
    {
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time);
        var content = Content([0xC3, 0x28]);
        var encrypt = EncryptRaw(VecAesKey, Pad(content, 32 - (content.Length % 32), 32 - (content.Length % 32)));

        Assert.Equal(PushRejection.Malformed, verifier.Open(Signed(VecToken, encrypt), Envelope(encrypt)).Rejection);
    }

    [Theory]
    [InlineData("!!!!not-base64!!!!")]
    [InlineData("AAAA")] // 3 bytes: not a whole AES block
    [InlineData("AAAAAAAAAAAAAAAAAAAAAA==")] // 16 zero bytes: too short for random + length
    [InlineData("QUJD")]
    [InlineData("QUJ")] // not a multiple of 4
    [InlineData("QUJD\u00e9===")]
    public void Open_InvalidBase64OrLength_Malformed(string encrypt)
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);

        Assert.Equal(PushRejection.Malformed, verifier.Open(Signed(DocToken, encrypt), Envelope(encrypt)).Rejection);
    }

    [Fact]
    public void Open_EmptyOrMissingEncrypt_Malformed()
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);

        Assert.Equal(PushRejection.Malformed, verifier.Open(DocSafeQuery, "{\"ToUserName\":\"gh\",\"Encrypt\":\"\"}").Rejection);
        Assert.Equal(PushRejection.Malformed, verifier.Open(DocSafeQuery, "{\"ToUserName\":\"gh\"}").Rejection);
        Assert.Equal(PushRejection.Malformed, verifier.Open(DocSafeQuery, "<xml><ToUserName>gh</ToUserName></xml>").Rejection);
    }

    [Theory]
    [InlineData("046e02f8204d34f8ba5fa3b1db94908f3df2e9b4")]
    [InlineData("6c5c811b55cc85e0e1b54100749188c20beb3f5d")] // the plain signature is not the message signature
    [InlineData(null)]
    public void Open_WrongMsgSignature_BadSignature(string? msgSignature)
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);

        var result = verifier.Open(DocSafeQuery with { MsgSignature = msgSignature }, Envelope(DocEncrypt));

        Assert.Equal(PushRejection.BadSignature, result.Rejection);
    }

    [Fact]
    public void Open_SafeModeWithoutKey_NotConfigured()
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time);

        Assert.Equal(PushRejection.NotConfigured, verifier.Open(DocSafeQuery, Envelope(DocEncrypt)).Rejection);
    }

    [Fact]
    public void Open_UnknownEncryptType_Malformed()
    {
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);

        Assert.Equal(PushRejection.Malformed, verifier.Open(DocSafeQuery with { EncryptType = "des" }, Envelope(DocEncrypt)).Rejection);
    }

    // ---- Freshness --------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(-301, PushRejection.Stale)]
    [InlineData(-300, null)]
    [InlineData(0, null)]
    [InlineData(300, null)]
    [InlineData(301, PushRejection.Stale)]
    [InlineData(86_400, PushRejection.Stale)]
    public void Open_TimestampAgainstFiveMinuteWindow_StaleOutside(int clockOffsetSeconds, PushRejection? expected)
    {
        _time.Advance(TimeSpan.FromSeconds(clockOffsetSeconds));
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time, TimeSpan.FromMinutes(5));

        Assert.Equal(expected, verifier.Open(DocSafeQuery, Envelope(DocEncrypt)).Rejection);
    }

    [Fact]
    public void Open_StaleButFreshnessOff_Accepted()
    {
        _time.Advance(TimeSpan.FromDays(400));
        var verifier = new WeChatPushVerifier(DocToken, DocAesKey, DocAppId, _time);

        Assert.True(verifier.Open(DocSafeQuery, Envelope(DocEncrypt)).IsAccepted);
    }

    [Fact]
    public void VerifyUrl_Stale_Refused()
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time, WeChatPushVerifier.DefaultFreshness);

        // The documented URL check (timestamp 1714036504) is 75 941 s before our clock.
        Assert.Equal(PushRejection.Stale, verifier.VerifyUrl("f464b24fc39322e44b38aa78f5edd27bd1441696", "1714036504", "1514711492", "1").Rejection);
    }

    [Fact]
    public void Open_SignedNonNumericTimestamp_MalformedWhenFreshnessOn()
    {
        var verifier = new WeChatPushVerifier(DocToken, null, DocAppId, _time, WeChatPushVerifier.DefaultFreshness);

        var result = verifier.Open(new WeChatPushQuery(WeChatPushVerifier.Sign(DocToken, "soon", "1"), "soon", "1"), "{\"MsgType\":\"text\"}");

        Assert.Equal(PushRejection.Malformed, result.Rejection);
    }

    [Fact]
    public void Constructor_NonPositiveFreshness_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new WeChatPushVerifier(DocToken, null, DocAppId, _time, TimeSpan.Zero));
    }

    [Theory]
    [InlineData("AAAA")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")] // 44
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA!")]
    public void Constructor_BadEncodingAesKey_Throws(string key)
    {
        var ex = Assert.Throws<ArgumentException>(() => new WeChatPushVerifier(DocToken, key, DocAppId, _time));

        Assert.DoesNotContain(key, ex.Message, StringComparison.Ordinal);
    }

    // ---- Parsing ----------------------------------------------------------------------------------------------

    [Fact]
    public void Receive_DocumentedMediaCheckJson_YieldsFields()
    {
        var check = Assert.IsType<MediaCheckEvent>(ReceivePlain(MediaCheckJson, "wx8f16a5be77871234").Value);

        Assert.Equal("60f96f1d-3845297a-1976a3ae", check.TraceId);
        Assert.Equal("wx8f16a5be77871234", check.AppId);
        Assert.Equal(2, check.Version);
        Assert.Equal(0, check.ErrCode);
        Assert.Equal("ok", check.ErrMsg);
        Assert.Equal("event", check.MsgType);
        Assert.Equal("wxa_media_check", check.Event);
        Assert.Equal(new MediaCheckResult(MediaCheckSuggest.Pass, 100), check.Result);
        Assert.Equal([new MediaCheckDetail("content_model", 0, MediaCheckSuggest.Pass, 100, 90)], check.Detail);
    }

    [Fact]
    public void Receive_MediaCheckXml_YieldsFields()
    {
        var check = Assert.IsType<MediaCheckEvent>(ReceivePlain(MediaCheckXml, "wx12b4f63276b14d4c").Value);

        Assert.Equal("62f11967-2b24d27a-34715985", check.TraceId);
        Assert.Equal(2, check.Version);
        Assert.Equal("ok", check.ErrMsg);
        Assert.Equal(new MediaCheckResult(MediaCheckSuggest.Review, 20012), check.Result);
        Assert.Equal(
            [new MediaCheckDetail("content_model", 0, MediaCheckSuggest.Review, 20012, 60), new MediaCheckDetail("keyword", 0, null, null, null)],
            check.Detail);
    }

    [Fact]
    public void Receive_RealWorldShapeWithStringLabelsAndNoErrcode_YieldsFields()
    {
        // As posted from a live push in 2025: labels as strings, no top-level errcode/errmsg.
        const string json = """{"ToUserName":"gh_7bf1f1389686","FromUserName":"or9bw69jaWwJlF-6u0z3qT3KmO2k","CreateTime":1762329554,"MsgType":"event","Event":"wxa_media_check","appid":"wxb04d1be1ede56d47","trace_id":"690b03d2-301f6111-35ffbd44","version":2,"result":{"suggest":"risky","label":"20002"},"detail":[{"strategy":"content_model","errcode":0,"suggest":"risky","label":"20002","prob":90}]}""";

        var check = Assert.IsType<MediaCheckEvent>(ReceivePlain(json, "wxb04d1be1ede56d47").Value);

        Assert.Equal(0, check.ErrCode);
        Assert.Null(check.ErrMsg);
        Assert.Equal(new MediaCheckResult(MediaCheckSuggest.Risky, 20002), check.Result);
        Assert.Equal(20002, check.Detail[0].Label);
    }

    [Fact]
    public void Receive_FailedCheckWithoutResult_HasErrCodeAndNoResult()
    {
        const string json = """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"t-1","version":"2","errcode":-1008,"errmsg":"media download failed"}""";

        var check = Assert.IsType<MediaCheckEvent>(ReceivePlain(json, "wxA").Value);

        Assert.Equal(-1008, check.ErrCode);
        Assert.Null(check.Result);
        Assert.Empty(check.Detail);
    }

    [Fact]
    public void Receive_XmlDetailWrappingItems_ReadsEachItem()
    {
        const string xml = "<xml><MsgType>event</MsgType><Event>wxa_media_check</Event><appid>wxA</appid><trace_id>t-1</trace_id><version>2</version>"
            + "<detail><item><strategy>a</strategy><label>100</label></item><item><strategy>b</strategy><prob>12.6</prob></item></detail>"
            + "<result><suggest>pass</suggest><label>100</label></result></xml>";

        var check = Assert.IsType<MediaCheckEvent>(ReceivePlain(xml, "wxA").Value);

        Assert.Equal([new MediaCheckDetail("a", 0, null, 100, null), new MediaCheckDetail("b", 0, null, null, 13)], check.Detail);
    }

    [Theory]
    [InlineData("""{"MsgType":"text","Content":"hi"}""", "text", null)]
    [InlineData("""{"MsgType":"event","Event":"subscribe_msg_popup_event"}""", "event", "subscribe_msg_popup_event")]
    [InlineData("<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[user_authorization_revoke]]></Event></xml>", "event", "user_authorization_revoke")]
    public void Receive_OtherMessages_AreGeneric(string body, string msgType, string? eventName)
    {
        Assert.Equal(new OtherPushMessage(msgType, eventName), ReceivePlain(body, "wxA").Value);
    }

    [Theory]
    [InlineData("""{"ToUserName":"gh_1","FromUserName":"o1","CreateTime":1626959646,"MsgType":"event","Event":"wxa_media_check","isrisky":1,"extra_info_json":"","appid":"wxA","trace_id":"60f96f1d-1","status_code":0}""", MediaCheckSuggest.Risky, MediaCheckLabels.Unlabelled)]
    [InlineData("""{"MsgType":"event","Event":"wxa_media_check","isrisky":0,"extra_info_json":"","appid":"wxA","trace_id":"60f96f1d-1","status_code":0,"detail":[]}""", MediaCheckSuggest.Pass, MediaCheckLabels.Normal)]
    [InlineData("<xml><MsgType><![CDATA[event]]></MsgType><Event><![CDATA[wxa_media_check]]></Event><isrisky>1</isrisky><extra_info_json><![CDATA[]]></extra_info_json><appid><![CDATA[wxA]]></appid><trace_id><![CDATA[60f96f1d-1]]></trace_id><status_code>0</status_code></xml>", MediaCheckSuggest.Risky, MediaCheckLabels.Unlabelled)]
    public void Receive_Version1MediaCheck_YieldsItsVerdict(string body, MediaCheckSuggest suggest, int label)
    {
        // WeChat still pushes the older shape (isrisky, status_code) for some apps; it was refused as malformed before.
        var check = Assert.IsType<MediaCheckEvent>(ReceivePlain(body, "wxA").Value);

        Assert.Equal(("60f96f1d-1", 1, 0), (check.TraceId, check.Version, check.ErrCode));
        Assert.Equal(new MediaCheckResult(suggest, label), check.Result);
    }

    [Fact]
    public void Receive_Version1DownloadFailed_StatusBeyondInt32_IsAFailedCheck()
    {
        const string json = """{"MsgType":"event","Event":"wxa_media_check","isrisky":0,"extra_info_json":"","appid":"wxA","trace_id":"t-2","status_code":4294966288}""";

        var check = Assert.IsType<MediaCheckEvent>(ReceivePlain(json, "wxA").Value);

        Assert.Equal(-1008, check.ErrCode);
        Assert.Null(check.Result);
    }

    public static TheoryData<string, string?> UnusableMediaChecks => new()
    {
        { """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","version":2,"result":{"suggest":"pass","label":100}}""", null },
        { """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"../../etc","version":2,"result":{"suggest":"pass","label":100}}""", null },
        { """{"MsgType":"event","Event":"wxa_media_check","trace_id":"t","version":2,"result":{"suggest":"pass","label":100}}""", "t" },
        { """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"t","result":{"suggest":"pass","label":100}}""", "t" },
        { """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"t","version":2,"errcode":0}""", "t" },
        { """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"t","version":2,"result":{"suggest":"maybe","label":100}}""", "t" },
        { """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"t","version":2,"result":{"suggest":"pass","label":"x"}}""", "t" },
        { """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"t","version":2,"result":"pass"}""", "t" },
        { """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"t","version":2,"result":{"suggest":"pass","label":100},"detail":{"strategy":"x"}}""", "t" },
        { """{"MsgType":"event","Event":"wxa_media_check","isrisky":7,"appid":"wxA","trace_id":"t","status_code":0}""", "t" },
        // A repeated field is not guessed at: no verdict is taken from it.
        { "<xml><MsgType>event</MsgType><Event>wxa_media_check</Event><appid>wxA</appid><trace_id>t</trace_id><version>2</version><result><suggest>risky</suggest><label>1</label></result><result><suggest>pass</suggest><label>100</label></result></xml>", "t" },
    };

    /// <summary>Authentic media checks missing what a verdict needs: answered (WeChat stops retrying), never a verdict.</summary>
    [Theory]
    [MemberData(nameof(UnusableMediaChecks))]
    public void Receive_MediaCheckMissingWhatAVerdictNeeds_IsUnusableNotRefused(string body, string? traceId)
    {
        var unusable = Assert.IsType<UnusableMediaCheck>(ReceivePlain(body, "wxA").Value);

        Assert.Equal(traceId, unusable.TraceId);
        Assert.False(string.IsNullOrWhiteSpace(unusable.Reason));
    }

    public static TheoryData<string> MalformedMessages => new(MalformedBodies);

    private static readonly string[] MalformedBodies =
    [
        // Duplicate JSON fields are refused rather than guessed at.
        """{"MsgType":"event","Event":"wxa_media_check","appid":"wxA","trace_id":"t","version":2,"result":{"suggest":"risky","label":20002},"result":{"suggest":"pass","label":100}}""",
        // Not a message at all.
        """{"Event":"x"}""",
        "[1,2,3]",
        "\"just a string\"",
        "null",
        "hello",
        "<notxml><MsgType>text</MsgType></notxml>",
        "<xml><MsgType>text</MsgType>",
        "{\"MsgType\":\"text\"",
        "{\"MsgType\":\"text\",}",
        "{\"MsgType\":{\"a\":1}}",
        "<xml><MsgType><b>text</b></MsgType></xml>",
        // XXE and entity expansion: no DTD at all.
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]><xml><MsgType>&xxe;</MsgType></xml>",
        "<?xml version=\"1.0\"?><!DOCTYPE xml [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b \"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;\">]><xml><MsgType>&c;</MsgType></xml>",
        "<xml><MsgType>&undefined;</MsgType></xml>",
        // Too deep.
        string.Concat(Enumerable.Repeat("{\"a\":", 40)) + "1" + new string('}', 40),
        "<xml>" + string.Concat(Enumerable.Repeat("<a>", 40)) + string.Concat(Enumerable.Repeat("</a>", 40)) + "<MsgType>text</MsgType></xml>",
        // Too big.
        "{\"MsgType\":\"text\",\"Content\":\"" + new string('x', WeChatPushVerifier.MaxBodyChars) + "\"}",
    ];

    [Theory]
    [MemberData(nameof(MalformedMessages))]
    public void Receive_MalformedMessage_RefusedWithoutThrowing(string body)
    {
        var result = ReceivePlain(body, "wxA");

        Assert.Equal(PushRejection.Malformed, result.Rejection);
    }

    [Fact]
    public void Receive_HostileSafeModeInputs_NeverThrow()
    {
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time, WeChatPushVerifier.DefaultFreshness);
        var random = new Random(20260101);
        var bodies = new List<string>(MalformedBodies)
        {
            "", "{", "<", "\uFEFF", "{\"Encrypt\":null}", "{\"Encrypt\":12}", "{\"Encrypt\":{\"a\":1}}", "<xml><Encrypt><a/></Encrypt></xml>",
            "<xml><Encrypt>x</Encrypt><Encrypt>y</Encrypt></xml>",
            "{\"Encrypt\":\"" + new string('A', WeChatPushVerifier.MaxBodyChars) + "\"}",
        };
        for (var i = 0; i < 300; i++)
        {
            var bytes = new byte[random.Next(0, 700)];
            random.NextBytes(bytes);
            bodies.Add(Envelope(Convert.ToBase64String(bytes)));
            bodies.Add(Encoding.Latin1.GetString(bytes));
        }

        foreach (var body in bodies)
        {
            var encrypt = WeChatPushParserProbe(body);
            var queries = new[]
            {
                new WeChatPushQuery(null, VecTimestamp, VecNonce, "aes", encrypt is null ? null : WeChatPushVerifier.Sign(VecToken, VecTimestamp, VecNonce, encrypt)),
                new WeChatPushQuery(null, null, null, "aes", null),
                new WeChatPushQuery("x", new string('9', 200), "n", "aes", "y"),
                new WeChatPushQuery("x", "-1", "n", "AES", new string('z', 40)),
                new WeChatPushQuery("x", "99999999999999999999", "n", "raw", "z"),
            };
            foreach (var query in queries)
            {
                var result = verifier.Receive(query, body);
                Assert.False(result.IsAccepted);
            }
        }
    }

    [Fact]
    public void Receive_RandomPlaintextsUnderValidSignatures_NeverThrow()
    {
        // Someone holding the Token but not the key sends random ciphertexts: every one is refused, none throws.
        var verifier = new WeChatPushVerifier(VecToken, VecAesKey, VecAppId, _time);
        var random = new Random(7);
        for (var i = 0; i < 500; i++)
        {
            var bytes = new byte[16 * random.Next(1, 40)];
            random.NextBytes(bytes);
            var encrypt = Convert.ToBase64String(bytes);

            var result = verifier.Receive(Signed(VecToken, encrypt), Envelope(encrypt));

            Assert.False(result.IsAccepted);
            Assert.True(result.Rejection is PushRejection.Malformed or PushRejection.WrongAppId, result.ToString());
        }
    }

    // ---- Labels -----------------------------------------------------------------------------------------------

    [Theory]
    [InlineData(100, "normal")]
    [InlineData(10001, "advertising")]
    [InlineData(20001, "politically sensitive content")]
    [InlineData(20002, "pornography")]
    [InlineData(20003, "abuse or insults")]
    [InlineData(20006, "illegal or criminal content")]
    [InlineData(20008, "fraud")]
    [InlineData(20012, "vulgar content")]
    [InlineData(20013, "copyright infringement")]
    [InlineData(21000, "other prohibited content")]
    [InlineData(20099, "flagged by WeChat's content check (label 20099)")]
    [InlineData(-5, "flagged by WeChat's content check (label -5)")]
    public void Describe_Label_GivesEnglishReason(int label, string expected)
    {
        Assert.Equal(expected, MediaCheckLabels.Describe(label));
    }

    // ---- Helpers ----------------------------------------------------------------------------------------------

    private PushResult<WeChatPushMessage> ReceivePlain(string body, string appId)
    {
        var verifier = new WeChatPushVerifier(DocToken, null, appId, _time);
        return verifier.Receive(new WeChatPushQuery(WeChatPushVerifier.Sign(DocToken, "1714112445", "1"), "1714112445", "1"), body);
    }

    private static string Envelope(string encrypt) => "{\"ToUserName\":\"gh_97417a04a28d\",\"Encrypt\":\"" + encrypt + "\"}";

    private static WeChatPushQuery Signed(string token, string encrypt) =>
        new(null, "1714112445", "415670741", "aes", WeChatPushVerifier.Sign(token, "1714112445", "415670741", encrypt));

    /// <summary>The Encrypt value of a body, where there is one, so a hostile body can carry a valid signature.</summary>
    private static string? WeChatPushParserProbe(string body)
    {
        const string marker = "\"Encrypt\":\"";
        var start = body.IndexOf(marker, StringComparison.Ordinal);
        if (start < 0)
        {
            return null;
        }

        start += marker.Length;
        var end = body.IndexOf('"', start);
        return end < 0 ? null : body[start..end];
    }

    /// <summary>random(16) + big-endian length + message + VecAppId, unpadded.</summary>
    private static byte[] Content(byte[]? message = null)
    {
        message ??= "{\"MsgType\":\"text\"}"u8.ToArray();
        var appId = Encoding.UTF8.GetBytes(VecAppId);
        var content = new byte[16 + 4 + message.Length + appId.Length];
        BinaryPrimitives.WriteUInt32BigEndian(content.AsSpan(16), (uint)message.Length);
        message.CopyTo(content, 20);
        appId.CopyTo(content, 20 + message.Length);
        return content;
    }

    /// <summary>Appends <paramref name="count"/> bytes of <paramref name="value"/>, then zeros up to an AES block boundary.</summary>
    private static byte[] Pad(byte[] content, int value, int count)
    {
        var padded = new List<byte>(content);
        padded.AddRange(Enumerable.Repeat((byte)value, count));
        while (padded.Count % 16 != 0)
        {
            padded.Insert(content.Length, 0);
        }

        return [.. padded];
    }

    private static byte[] PadMismatched(byte[] content)
    {
        var pad = 32 - (content.Length % 32);
        var plain = Pad(content, pad, pad);
        plain[^2] ^= 0x40;
        return plain;
    }

    private static byte[] Unpadded(byte[] content)
    {
        // Content trimmed to a block boundary ending in a byte that is not a valid count.
        var plain = content.AsSpan(0, content.Length - (content.Length % 16)).ToArray();
        plain[^1] = 0xEE;
        return plain;
    }

    private static string EncryptRaw(string encodingAesKey, byte[] plain)
    {
        var key = Convert.FromBase64String(encodingAesKey + "=");
        using var aes = Aes.Create();
        aes.Key = key;
        return Convert.ToBase64String(aes.EncryptCbc(plain, key.AsSpan(0, 16), PaddingMode.None));
    }
}
