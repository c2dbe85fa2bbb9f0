using System.ComponentModel.DataAnnotations;
using Serverless.Media;

namespace Serverless.UnitTests.Media;

public sealed class MediaOptionsTests
{
    [Fact]
    public void Defaults_AreValid()
    {
        Assert.Empty(Validate(new MediaOptions()));
    }

    [Fact]
    public void ResolveWorkDirectory_Unset_TempSubfolder()
    {
        Assert.Equal(Path.Combine(Path.GetTempPath(), "serverless-media"), new MediaOptions { WorkDirectory = "" }.ResolveWorkDirectory());
        Assert.Equal("/data/work", new MediaOptions { WorkDirectory = "/data/work" }.ResolveWorkDirectory());
    }

    [Theory]
    [InlineData(nameof(MediaOptions.MaxLadderShortSide))]
    [InlineData(nameof(MediaOptions.Preset))]
    [InlineData(nameof(MediaOptions.FfmpegPath))]
    [InlineData(nameof(MediaOptions.MinDimension))]
    [InlineData(nameof(MediaOptions.TranscodeTimeoutSeconds))]
    public void Invalid_Setting_NamedInResult(string property)
    {
        var options = property switch
        {
            nameof(MediaOptions.MaxLadderShortSide) => new MediaOptions { MaxLadderShortSide = 480 },
            nameof(MediaOptions.Preset) => new MediaOptions { Preset = "placebo-ish" },
            nameof(MediaOptions.FfmpegPath) => new MediaOptions { FfmpegPath = "" },
            nameof(MediaOptions.MinDimension) => new MediaOptions { MinDimension = 0 },
            _ => new MediaOptions { TranscodeTimeoutSeconds = 0 },
        };

        Assert.Contains(Validate(options), r => r.MemberNames.Contains(property));
    }

    private static List<ValidationResult> Validate(MediaOptions options)
    {
        var results = new List<ValidationResult>();
        Validator.TryValidateObject(options, new ValidationContext(options), results, validateAllProperties: true);
        return results;
    }
}
