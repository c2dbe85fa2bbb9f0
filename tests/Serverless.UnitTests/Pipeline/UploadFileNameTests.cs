using Serverless.Videos;

namespace Serverless.UnitTests.Pipeline;

public sealed class UploadFileNameTests
{
    [Theory]
    [InlineData("clip\u202Egpj.mp4", "U+202E")] // RIGHT-TO-LEFT OVERRIDE: displays as clip4pm.jpg
    [InlineData("clip\u202Dgpj.mp4", "U+202D")] // LEFT-TO-RIGHT OVERRIDE
    [InlineData("clip\u202Agpj.mp4", "U+202A")] // LEFT-TO-RIGHT EMBEDDING
    [InlineData("clip\u202Bgpj.mp4", "U+202B")] // RIGHT-TO-LEFT EMBEDDING
    [InlineData("clip\u202Cgpj.mp4", "U+202C")] // POP DIRECTIONAL FORMATTING
    [InlineData("clip\u2066gpj.mp4", "U+2066")] // LEFT-TO-RIGHT ISOLATE
    [InlineData("clip\u2067gpj.mp4", "U+2067")] // RIGHT-TO-LEFT ISOLATE
    [InlineData("clip\u2068gpj.mp4", "U+2068")] // FIRST STRONG ISOLATE
    [InlineData("clip.mp4\u2069", "U+2069")] // POP DIRECTIONAL ISOLATE
    [InlineData("clip\u200E.mp4", "U+200E")] // LEFT-TO-RIGHT MARK
    [InlineData("clip\u200F.mp4", "U+200F")] // RIGHT-TO-LEFT MARK
    [InlineData("clip\u061C.mp4", "U+061C")] // ARABIC LETTER MARK
    [InlineData("clip\u0007.mp4", "U+0007")] // BEL
    [InlineData("clip\u0000.mp4", "U+0000")] // NUL
    [InlineData("clip\u007F.mp4", "U+007F")] // DEL
    [InlineData("clip\u009B.mp4", "U+009B")] // C1 control (CSI)
    [InlineData("clip\r\n.mp4", "U+000D")]
    [InlineData("cl\u200Bip.mp4", "U+200B")] // ZERO WIDTH SPACE
    [InlineData("cl\u2060ip.mp4", "U+2060")] // WORD JOINER
    [InlineData("\uFEFFclip.mp4", "U+FEFF")] // BYTE ORDER MARK, even at the start (Trim keeps it)
    [InlineData("cl\u00ADip.mp4", "U+00AD")] // SOFT HYPHEN
    [InlineData("clip\u2028.mp4", "U+2028")] // LINE SEPARATOR
    [InlineData("clip\U000E0041\U000E0042.mp4", "U+E0041")] // tag characters outside an emoji flag: invisible ASCII
    [InlineData("🏴\U000E0067\U000E0062\U000E0065\U000E006E\U000E0067.mp4", "U+E0067")] // flag tags without the cancel tag
    public void TryNormalize_InvisibleOrDirectionCharacter_RefusedNamingFieldAndCodePoint(string raw, string codePoint)
    {
        var ok = UploadFileName.TryNormalize(raw, out var name, out var error);

        Assert.False(ok);
        Assert.Equal(string.Empty, name);
        Assert.StartsWith("fileName ", error, StringComparison.Ordinal);
        Assert.Contains(codePoint, error, StringComparison.Ordinal);
    }

    [Fact]
    public void TryNormalize_UnpairedSurrogate_Refused()
    {
        var ok = UploadFileName.TryNormalize("clip\uD83D.mp4", out _, out var error);

        Assert.False(ok);
        Assert.Contains("U+D83D", error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("我的视频.mp4")]
    [InlineData("旅行 2024 🎉😀.mov")]
    [InlineData("家庭👨\u200D👩\u200D👧.mp4")] // ZWJ emoji sequence
    [InlineData("👍🏽 ❤️.mp4")] // skin tone modifier, variation selector U+FE0F (a mark, not a format character)
    [InlineData("🏴\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F.mp4")] // flag of Scotland (emoji tag sequence)
    [InlineData("می\u200Cخواهم.mp4")] // Persian needs ZERO WIDTH NON-JOINER
    [InlineData("क्\u200Dष.mp4")] // Devanagari with ZWJ
    [InlineData("שלום.mp4")] // right-to-left letters themselves are fine
    [InlineData("日本\u3000語.mp4")] // ideographic space
    [InlineData("a.mp4")]
    public void TryNormalize_RealWorldName_AcceptedUnchanged(string raw)
    {
        var ok = UploadFileName.TryNormalize(raw, out var name, out var error);

        Assert.True(ok, error);
        Assert.Equal(raw, name);
        Assert.Null(error);
    }

    [Fact]
    public void TryNormalize_DecomposedAccents_StoredComposedAndTrimmed()
    {
        var ok = UploadFileName.TryNormalize("  cafe\u0301 Ame\u0301lie.mp4\t", out var name, out _);

        Assert.True(ok);
        Assert.Equal("caf\u00E9 Am\u00E9lie.mp4", name);
    }

    [Fact]
    public void TryNormalize_LengthCountedAfterNfc_DecomposedNameAtTheLimitAccepted()
    {
        // 255 characters once composed, 506 as sent (NFD): the limit is on the stable form.
        var raw = string.Concat(Enumerable.Repeat("e\u0301", 251)) + ".mp4";

        Assert.True(UploadFileName.TryNormalize(raw, out var name, out _));
        Assert.Equal(UploadFileName.MaxLength, name.Length);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("../../etc/passwd")]
    [InlineData("C:\\Users\\x.mp4")]
    public void TryNormalize_MissingOrPath_RefusedWithTheRequirement(string? raw)
    {
        Assert.False(UploadFileName.TryNormalize(raw, out _, out var error));
        Assert.Equal("fileName is required: 1–255 characters, no path separators or control characters.", error);
    }

    [Fact]
    public void TryNormalize_256Characters_Refused()
    {
        Assert.False(UploadFileName.TryNormalize(new string('名', 252) + ".mp4", out _, out _));
        Assert.True(UploadFileName.TryNormalize(new string('名', 251) + ".mp4", out _, out _));
    }
}
