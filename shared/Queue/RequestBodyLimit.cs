using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Sift.Queue;

public static class RequestBodyLimit
{
    /// <summary>
    /// Sets this request's body limit (Kestrel's default is 30 MB) while the body is still unread; reading past it throws
    /// <see cref="BadHttpRequestException"/> with status 413.
    /// </summary>
    public static void SetMaxRequestBodySize(this HttpContext context, long bytes)
    {
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = bytes;
        }
    }
}
