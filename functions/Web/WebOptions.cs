namespace Serverless.Functions.Web;

/// <summary>The API description and the local demo page (section <c>Web</c>).</summary>
public sealed class WebOptions
{
    public const string SectionName = "Web";

    /// <summary>
    /// Serve the demo page at <c>/</c> (static files beside the executable, <c>Web/site</c>). Default false; local
    /// development turns it on. The page is not part of the deployment package, so it is only there locally anyway.
    /// </summary>
    public bool DemoPage { get; set; }

    /// <summary>Serve the OpenAPI document at <see cref="WebExtensions.OpenApiPath"/>. Default true: it holds no secrets.</summary>
    public bool OpenApiDocument { get; set; } = true;
}
