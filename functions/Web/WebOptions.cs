namespace Serverless.Functions.Web;

/// <summary>The API description and the local demo page (section <c>Web</c>).</summary>
public sealed class WebOptions
{
    public const string SectionName = "Web";

    /// <summary>
    /// Serve the demo page at <c>/</c> (the local host only: static files beside its executable, <c>Web/site</c>). Default false; local
    /// development turns it on. The page is not part of the deployment package, so it is only there locally anyway.
    /// </summary>
    public bool DemoPage { get; set; }

    /// <summary>Serve the OpenAPI document at <c>/api/openapi/v1.json</c>. Default true: it holds no secrets.</summary>
    public bool OpenApiDocument { get; set; } = true;
}
