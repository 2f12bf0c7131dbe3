using System.Buffers.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sift.Queue;

namespace Sift.Ingestion.Gmail;

/// <summary>
/// <c>POST /webhooks/gmail</c>, Pub/Sub's push endpoint. Pub/Sub cannot send Sift's API key: the request authenticates
/// with its OIDC token (<see cref="PushTokenVerifier"/>). A verified push for a watched mailbox becomes one ingest job,
/// deduplicated on the Pub/Sub message id (delivery is at least once), and is acknowledged with 204 without calling Gmail.
/// Every refusal is non-2xx, so Pub/Sub redelivers it: right for a misconfiguration that gets fixed (audience, account,
/// mailbox list) and for a storage outage (503 from the API's exception handler); a subscription with a dead-letter topic
/// bounds the redeliveries of what can never succeed (a malformed body).
/// </summary>
internal static class GmailWebhooks
{
    private const long MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<GmailOptions>>().Value.Enabled)
        {
            return app;
        }

        app.MapGroup("/webhooks/gmail").WithTags("webhooks").MapPost("/", PushAsync);
        return app;
    }

    internal static async Task<Results<NoContent, ProblemHttpResult, ValidationProblem>> PushAsync(
        HttpContext context, PushTokenVerifier verifier, IngestJobs jobs, IOptions<GmailOptions> options, CancellationToken cancellationToken)
    {
        var request = context.Request;
        if (await verifier.VerifyAsync(request.Headers.Authorization.ToString(), cancellationToken) is { } refusal)
        {
            await RejectAsync(jobs, string.Empty, new GmailRejected(null, null, null), $"Push token refused: {refusal.Reason}.", cancellationToken);
            if (refusal.Forbidden)
            {
                return TypedResults.Problem(title: "Push token not accepted", detail: $"The push token is not meant for Sift: {refusal.Reason}.", statusCode: StatusCodes.Status403Forbidden);
            }

            context.Response.Headers.WWWAuthenticate = "Bearer";
            return TypedResults.Problem(title: "Push token invalid", detail: $"The push request is not authenticated: {refusal.Reason}.", statusCode: StatusCodes.Status401Unauthorized);
        }

        // A Gmail notification is a few hundred bytes; nothing larger is one.
        context.SetMaxRequestBodySize(MaxBodyBytes);

        PubSubPush? push;
        try
        {
            push = await JsonSerializer.DeserializeAsync(request.Body, GmailJsonContext.Default.PubSubPush, cancellationToken);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem(title: "Push too large", detail: $"Pub/Sub pushes up to {MaxBodyBytes / 1024} KB are accepted.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        catch (JsonException ex)
        {
            return await InvalidAsync(jobs, ex.Path is null or "$" ? "body" : ex.Path.TrimStart('$', '.'), $"The body is not a Pub/Sub push (line {ex.LineNumber + 1}): expected {{\"message\": {{\"data\", \"messageId\"}}}}.", null, cancellationToken);
        }

        if (push?.Message is not { } message)
        {
            return await InvalidAsync(jobs, "message", "The push has no 'message' object.", null, cancellationToken);
        }

        if (string.IsNullOrEmpty(message.MessageId))
        {
            return await InvalidAsync(jobs, "message.messageId", "The push message has no 'messageId'.", null, cancellationToken);
        }

        if (string.IsNullOrEmpty(message.Data))
        {
            return await InvalidAsync(jobs, "message.data", "The push message has no 'data'.", message.MessageId, cancellationToken);
        }

        GmailNotification? notification;
        try
        {
            // Pub/Sub sends standard base64; accept base64url too, with or without padding.
            var bytes = Base64Url.DecodeFromChars(message.Data.Replace('+', '-').Replace('/', '_').TrimEnd('='));
            notification = JsonSerializer.Deserialize(bytes, GmailJsonContext.Default.GmailNotification);
        }
        catch (FormatException)
        {
            return await InvalidAsync(jobs, "message.data", "'data' is not base64.", message.MessageId, cancellationToken);
        }
        catch (JsonException)
        {
            return await InvalidAsync(jobs, "message.data", "'data' does not decode to Gmail's {\"emailAddress\", \"historyId\"} JSON.", message.MessageId, cancellationToken);
        }

        if (string.IsNullOrWhiteSpace(notification?.EmailAddress))
        {
            return await InvalidAsync(jobs, "message.data.emailAddress", "The Gmail notification has no 'emailAddress'.", message.MessageId, cancellationToken);
        }

        if (notification.HistoryId is not { } historyId)
        {
            return await InvalidAsync(jobs, "message.data.historyId", "The Gmail notification has no numeric 'historyId'.", message.MessageId, cancellationToken);
        }

        if (options.Value.FindMailbox(notification.EmailAddress) is not { } mailbox)
        {
            await RejectAsync(jobs, notification.EmailAddress, new GmailRejected(message.MessageId, null, notification.EmailAddress), "Gmail notification for a mailbox that is not configured (Sift:Gmail:Mailboxes).", cancellationToken);
            return TypedResults.Problem(
                title: "Mailbox not watched",
                detail: "The notification names a mailbox that is not in Sift:Gmail:Mailboxes.",
                statusCode: StatusCodes.Status403Forbidden);
        }

        var payload = JsonSerializer.Serialize(new GmailJob(1, message.MessageId, historyId), GmailJsonContext.Default.GmailJob);
        await jobs.EnqueueAsync(new IngestJobRequest(GmailJobs.Source, GmailJobs.Notification, mailbox, payload, $"pubsub:{message.MessageId}"), cancellationToken);
        return TypedResults.NoContent();
    }

    private static async Task<ValidationProblem> InvalidAsync(IngestJobs jobs, string field, string error, string? messageId, CancellationToken cancellationToken)
    {
        await RejectAsync(jobs, string.Empty, new GmailRejected(messageId, null, null), $"Malformed Pub/Sub push: {field}: {error}", cancellationToken);
        return TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [error] }, title: "Invalid Pub/Sub push");
    }

    private static Task RejectAsync(IngestJobs jobs, string mailbox, GmailRejected seen, string reason, CancellationToken cancellationToken) =>
        jobs.RecordRejectionAsync(
            new IngestJobRequest(GmailJobs.Source, GmailJobs.Notification, mailbox, JsonSerializer.Serialize(seen, GmailJsonContext.Default.GmailRejected)),
            reason,
            cancellationToken);
}
