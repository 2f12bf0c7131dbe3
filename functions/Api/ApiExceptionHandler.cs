using System.Data.Common;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Mvc;

namespace Sift.Api;

/// <summary>
/// Maps the few exceptions that are not the caller's fault to ProblemDetails. A storage outage answers 503 with
/// Retry-After, so that senders (webhooks, clients) retry instead of losing the message.
/// </summary>
internal sealed class ApiExceptionHandler(IProblemDetailsService problems) : IExceptionHandler
{
    public async ValueTask<bool> TryHandleAsync(HttpContext httpContext, Exception exception, CancellationToken cancellationToken)
    {
        var (status, title, detail) = exception switch
        {
            BadHttpRequestException bad => (bad.StatusCode, "Bad request", bad.Message),
            // Class 22 is a data exception: the input itself cannot be stored, and retrying it would fail the same way.
            Npgsql.PostgresException { SqlState: [ '2', '2', .. ] } data =>
                (StatusCodes.Status400BadRequest, "Data that cannot be stored", $"The request holds a value the database refuses: {data.MessageText}"),
            DbException or TimeoutException or StackExchange.Redis.RedisException =>
                (StatusCodes.Status503ServiceUnavailable, "Storage unavailable", "Sift could not reach its storage; nothing was recorded. Retry the request."),
            _ => (0, string.Empty, string.Empty),
        };
        if (status == 0)
        {
            return false;
        }

        if (status == StatusCodes.Status503ServiceUnavailable)
        {
            httpContext.Response.Headers.RetryAfter = "5";
        }

        httpContext.Response.StatusCode = status;
        return await problems.TryWriteAsync(new ProblemDetailsContext
        {
            HttpContext = httpContext,
            Exception = exception,
            ProblemDetails = new ProblemDetails { Status = status, Title = title, Detail = detail },
        });
    }
}
