using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Sift.Engine;
using Sift.Mail;
using Sift.Queue;
using Sift.Storage;
using Sift.Triage;

namespace Sift.Api;

/// <summary>The messages API: ingest, read, decide, retry.</summary>
internal static class MessagesApi
{
    /// <summary>Raw messages larger than this are refused (Exchange Online's default receive limit is 25 MB... plus encoding).</summary>
    private const long MaxMessageBytes = 40 * 1024 * 1024;

    public static IEndpointRouteBuilder MapMessagesApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/messages").AddEndpointFilter<ApiKeyFilter>().WithTags("messages");
        group.MapPost("/", PostAsync);
        group.MapGet("/", ListAsync);
        group.MapGet("/{id:guid}", GetAsync);
        group.MapPost("/{id:guid}/decision", DecideAsync);
        group.MapPost("/{id:guid}/retry", RetryAsync);
        return app;
    }

    private static async Task<Results<Accepted<IngestResponse>, ValidationProblem, ProblemHttpResult>> PostAsync(
        HttpRequest request, string? mailbox, MessageIntake intake, TimeProvider time, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(mailbox) || mailbox.Length > 320 || mailbox.Any(char.IsControl))
        {
            return Invalid("mailbox", "The mailbox query parameter is required: the address or name of the mailbox that received the message (e.g. ?mailbox=support@contoso.com).");
        }

        // Kestrel's default limit (30 MB) is below what a 25 MB mail with base64 attachments weighs.
        request.HttpContext.SetMaxRequestBodySize(MaxMessageBytes);

        var mediaType = request.ContentType?.Split(';')[0].Trim().ToLowerInvariant();
        if (request.ContentLength > MaxMessageBytes)
        {
            return TypedResults.Problem(title: "Message too large", detail: $"Messages up to {MaxMessageBytes / 1024 / 1024} MB are accepted.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        InboundMessage? message;
        switch (mediaType)
        {
            case "message/rfc822":
                var raw = await ReadBodyAsync(request, cancellationToken);
                if (raw is null)
                {
                    return TypedResults.Problem(title: "Message too large", detail: $"Messages up to {MaxMessageBytes / 1024 / 1024} MB are accepted.", statusCode: StatusCodes.Status413PayloadTooLarge);
                }

                var parsed = MimeNormalizer.Parse(raw.Value, time.GetUtcNow());
                if (parsed.Message is null)
                {
                    return Invalid(parsed.Field!, parsed.Error!);
                }

                message = parsed.Message;
                break;
            case "application/json":
                PostedMessage? posted;
                try
                {
                    posted = await JsonSerializer.DeserializeAsync(request.Body, ApiJsonContext.Default.PostedMessage, cancellationToken);
                }
                catch (JsonException ex)
                {
                    return Invalid("body", $"The body is not valid JSON for a message at {ex.Path ?? "$"} (line {ex.LineNumber + 1}): {ex.Message.Split(" Path:")[0]}");
                }

                if (posted is null)
                {
                    return Invalid("body", "The body is empty: expected a JSON message.");
                }

                message = posted.Normalize(time.GetUtcNow(), out var errors);
                if (message is null)
                {
                    return TypedResults.ValidationProblem(errors, title: "The message is invalid");
                }

                break;
            default:
                return TypedResults.Problem(
                    title: "Unsupported content type",
                    detail: $"Content-Type '{request.ContentType ?? "(none)"}' is not accepted: send message/rfc822 (a raw email) or application/json (a normalized message).",
                    statusCode: StatusCodes.Status415UnsupportedMediaType);
        }

        var result = await intake.IngestAsync(mailbox.Trim(), message, "api", cancellationToken);
        return TypedResults.Accepted($"/api/messages/{result.Id}", new IngestResponse(result.Id, Duplicate: !result.Created));
    }

    private static async Task<Results<Ok<MessagePage>, ValidationProblem>> ListAsync(
        string? status, string? mailbox, string? cursor, int? limit, MessageQueries queries, CancellationToken cancellationToken)
    {
        var errors = new Dictionary<string, string[]>();
        if (status is not null && !MessageStatus.All.Contains(status))
        {
            errors["status"] = [$"'{status}' is not a status. Use one of: {string.Join(", ", MessageStatus.All.Order(StringComparer.Ordinal))}."];
        }

        Guid? before = null;
        if (cursor is not null)
        {
            if (Guid.TryParse(cursor, out var parsed))
            {
                before = parsed;
            }
            else
            {
                errors["cursor"] = ["cursor must be the nextCursor of a previous page."];
            }
        }

        if (limit is < 1 or > 200)
        {
            errors["limit"] = ["limit must be between 1 and 200."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors);
        }

        return TypedResults.Ok(await queries.ListAsync(status, string.IsNullOrWhiteSpace(mailbox) ? null : mailbox, before, limit ?? 50, cancellationToken));
    }

    private static async Task<Results<Ok<MessageDetail>, ProblemHttpResult>> GetAsync(Guid id, MessageQueries queries, CancellationToken cancellationToken) =>
        await queries.GetAsync(id, cancellationToken) is { } detail ? TypedResults.Ok(detail) : NotFound(id);

    private static async Task<Results<Accepted<CommandAccepted>, ValidationProblem, ProblemHttpResult>> DecideAsync(
        Guid id, HttpRequest request, WorkflowCommands commands, TimeProvider time, CancellationToken cancellationToken)
    {
        DecisionRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, ApiJsonContext.Default.DecisionRequest, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Invalid("body", $"The body is not valid JSON at {ex.Path ?? "$"}: expected {{ \"action\": \"approve\" | \"edit\" | \"reject\", \"text\": ..., \"by\": ... }}.");
        }

        var errors = new Dictionary<string, string[]>();
        if (body?.Action is not (ReviewDecision.Approve or ReviewDecision.Edit or ReviewDecision.Reject))
        {
            errors["action"] = [$"action must be approve, edit or reject (got '{body?.Action ?? "nothing"}')."];
        }

        if (body?.Action == ReviewDecision.Edit && string.IsNullOrWhiteSpace(body.Text))
        {
            errors["text"] = ["text is required with edit: it is the reply that will be sent."];
        }

        if (string.IsNullOrWhiteSpace(body?.By) || body.By.Length > 320)
        {
            errors["by"] = ["by is required: who decided (a name or address, up to 320 characters)."];
        }

        if (errors.Count > 0)
        {
            return TypedResults.ValidationProblem(errors, title: "The decision is invalid");
        }

        var decision = new ReviewDecision(body!.Action!, body.Action == ReviewDecision.Edit ? body.Text : null, body.By!.Trim(), time.GetUtcNow());
        var (outcome, status) = await commands.DecideAsync(id, decision, cancellationToken);
        return outcome switch
        {
            EventOutcome.Accepted => TypedResults.Accepted($"/api/messages/{id}", new CommandAccepted(id, decision.Action)),
            EventOutcome.NotFound => NotFound(id),
            EventOutcome.AlreadyRaised => TypedResults.Problem(
                title: "Already decided", detail: ReviewDecisions.Refusal(id, outcome, status), statusCode: StatusCodes.Status409Conflict),
            _ => TypedResults.Problem(
                title: "Not waiting for a decision", detail: ReviewDecisions.Refusal(id, outcome, status), statusCode: StatusCodes.Status409Conflict),
        };
    }

    private static async Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> RetryAsync(
        Guid id, HttpRequest request, WorkflowCommands commands, CancellationToken cancellationToken)
    {
        var actor = request.Headers[ApiKeyFilter.Header].Count > 0 ? "api-key" : "api";
        return await commands.RetryAsync(id, actor, cancellationToken) switch
        {
            RetryOutcome.Requeued => TypedResults.Accepted($"/api/messages/{id}", new CommandAccepted(id, "requeued")),
            RetryOutcome.NotFound => NotFound(id),
            _ => TypedResults.Problem(
                title: "Not dead-lettered",
                detail: $"Message {id} is not dead-lettered; only dead-lettered messages can be retried.",
                statusCode: StatusCodes.Status409Conflict),
        };
    }

    private static async Task<ReadOnlyMemory<byte>?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxMessageBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.GetBuffer().AsMemory(0, (int)buffer.Length);
    }

    private static ValidationProblem Invalid(string field, string error) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [error] }, title: "The request is invalid");

    private static ProblemHttpResult NotFound(Guid id) =>
        TypedResults.Problem(title: "Message not found", detail: $"No message has id {id}.", statusCode: StatusCodes.Status404NotFound);
}
