namespace Serverless.Templates.Protocol;

/// <summary>Documented bounds of the protocol; templates outside them are rejected with a path-addressed error.</summary>
public static class TemplateLimits
{
    /// <summary>Most images a timeline can be expanded for (<c>POST /api/templates/{id}/timeline</c>); also what a loop
    /// template without <c>maxImageCount</c> is offered for.</summary>
    public const int MaxImageCount = 500;

    public const int MaxNodes = 200;
    public const int MaxTracks = 16;
    public const int MaxTrackItems = 100;
    public const int MaxImagesPerItem = 8;
    public const int MaxUniforms = 64;
    public const int MaxTags = 20;
    public const int MaxTagLength = 32;
    public const int MaxNameLength = 100;
    public const int MaxUrlLength = 2048;

    /// <summary>Longest node or sticker duration, seconds (a sticker's 3600 in the seed means "whole timeline").</summary>
    public const double MaxDurationSeconds = 24 * 3600;

    /// <summary>Largest template JSON body accepted.</summary>
    public const int MaxTemplateBytes = 256 * 1024;

    /// <summary>Most problems reported for one template.</summary>
    public const int MaxReportedErrors = 20;
}
