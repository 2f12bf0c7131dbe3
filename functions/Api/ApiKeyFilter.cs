using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Sift.Api;

/// <summary>
/// Machine clients authenticate with <c>X-Api-Key</c> (<c>Sift:ApiKey</c>). With no key configured the API answers
/// loopback callers only, so the embedded default is never open to the network by accident.
/// </summary>
internal sealed class ApiKeyFilter(IConfiguration configuration) : IEndpointFilter
{
    public const string Header = "X-Api-Key";

    public async ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        var http = context.HttpContext;
        var expected = configuration["Sift:ApiKey"];
        if (string.IsNullOrEmpty(expected))
        {
            var remote = http.Connection.RemoteIpAddress;
            if (remote is not null && !IPAddress.IsLoopback(remote))
            {
                return TypedResults.Problem(
                    title: "API key required",
                    detail: "No API key is configured (Sift:ApiKey), so the API answers loopback callers only.",
                    statusCode: StatusCodes.Status403Forbidden);
            }

            return await next(context);
        }

        var presented = http.Request.Headers[Header].ToString();
        if (presented.Length == 0)
        {
            return TypedResults.Problem(title: "API key required", detail: $"Send the API key in the {Header} header.", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (!CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected))))
        {
            return TypedResults.Problem(title: "Invalid API key", detail: $"The {Header} header does not match the configured key.", statusCode: StatusCodes.Status401Unauthorized);
        }

        return await next(context);
    }
}
