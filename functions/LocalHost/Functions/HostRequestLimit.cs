using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http.Features;

namespace Serverless.LocalHost.Functions;

/// <summary>
/// The Functions host's request body limit, applied as the host applies it, before any function or worker middleware
/// runs. The host's HTTP trigger binding reads every body that declares a length (to offer it as binding data) under
/// Kestrel's limit (<c>FUNCTIONS_REQUEST_BODY_SIZE_LIMIT</c>, 100 MiB by default): a larger one fails the binding, and the
/// host answers 500 with no body before the worker sees the request (measured under the host built from its source,
/// 4.1037). The local host answers such a request the same way, so a client that sends one fails here as it would in
/// Azure. A body without a declared length is cut at the same limit while it is read, whatever the worker middleware
/// sets for the function: the app cannot lift the host's limit.
/// </summary>
public static class HostRequestLimit
{
    public const long Bytes = 100L * 1024 * 1024;

    /// <summary>False (the 500 already set) when the declared body is over the host's limit.</summary>
    public static bool Admit(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Request.ContentLength > Bytes)
        {
            context.Response.StatusCode = StatusCodes.Status500InternalServerError;
            if (context.Features.Get<IStatusCodePagesFeature>() is { } pages)
            {
                pages.Enabled = false; // the host's answer has no body
            }

            return false;
        }

        if (context.Request.ContentLength is null && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { } feature)
        {
            context.Features.Set<IHttpMaxRequestBodySizeFeature>(new Capped(feature));
        }

        return true;
    }

    /// <summary>Kestrel's limit, which a function may lower but not raise above the host's.</summary>
    private sealed class Capped(IHttpMaxRequestBodySizeFeature inner) : IHttpMaxRequestBodySizeFeature
    {
        public bool IsReadOnly => inner.IsReadOnly;

        public long? MaxRequestBodySize
        {
            get => inner.MaxRequestBodySize;
            set => inner.MaxRequestBodySize = value is { } limit ? Math.Min(limit, Bytes) : Bytes;
        }
    }
}
