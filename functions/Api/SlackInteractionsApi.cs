using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Options;
using Sift.Approvals.Slack;
using Sift.Engine;
using Sift.Queue;
using Sift.Storage;
using Sift.Triage;

namespace Sift.Api;

/// <summary>
/// <c>POST /webhooks/slack/interactions</c>, the Slack app's interactivity Request URL. Slack cannot send Sift's API key:
/// the request authenticates with its v0 signature over the raw body, inside a 5-minute window, and each signature is
/// accepted once. Slack shows the clicker an error unless it gets an answer within 3 s and never retries, so the handler
/// does only what must happen now: record the decision (the workflow does the rest), or open the edit modal (the trigger
/// id dies after 3 s).
/// </summary>
internal static partial class SlackInteractionsApi
{
    /// <summary>An interaction is a few KB; a modal with a long draft a few more.</summary>
    private const int MaxBodyBytes = 256 * 1024;

    /// <summary>The dedupe namespace for seen signatures (the dedupe's keys are "mailbox" + id).</summary>
    private const string ReplayScope = "slack-interactions";

    public static IEndpointRouteBuilder MapSlackInteractions(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<SlackOptions>>().Value.Enabled)
        {
            return app;
        }

        app.MapGroup("/webhooks/slack").WithTags("webhooks").MapPost("/interactions", HandleAsync);
        return app;
    }

    private static async Task<Results<Ok, ContentHttpResult, ProblemHttpResult, ValidationProblem>> HandleAsync(
        HttpContext context,
        IOptionsMonitor<SlackOptions> options,
        IMessageDedupe dedupe,
        TimeProvider time,
        SlackApi slack,
        SlackReviews reviews,
        WorkflowCommands commands,
        ILoggerFactory loggers,
        CancellationToken cancellationToken)
    {
        var request = context.Request;
        var slackOptions = options.CurrentValue;
        var raw = await ReadBodyAsync(request, cancellationToken);
        if (raw is null)
        {
            return TypedResults.Problem(title: "Interaction too large", detail: $"Slack interactions up to {MaxBodyBytes / 1024} KB are accepted.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        // The signature covers the bytes as sent: it is checked before anything parses them.
        var signature = request.Headers[SlackSignature.SignatureHeader].ToString();
        if (SlackSignature.Verify(slackOptions.SigningSecret!, request.Headers[SlackSignature.TimestampHeader].ToString(), signature, raw, time.GetUtcNow(), slackOptions.SignatureWindow) is { } refusal)
        {
            return TypedResults.Problem(title: "Slack signature refused", detail: $"The request is not signed by Slack for this app: {refusal.Reason}.", statusCode: StatusCodes.Status401Unauthorized);
        }

        if (!await dedupe.TryMarkNewAsync(ReplayScope, signature, cancellationToken))
        {
            return TypedResults.Problem(title: "Replayed request", detail: "This signed request was already received; Slack never sends one twice.", statusCode: StatusCodes.Status401Unauthorized);
        }

        var mediaType = request.ContentType?.Split(';')[0].Trim();
        if (!string.Equals(mediaType, "application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase))
        {
            return Invalid("Content-Type", $"Slack sends interactions as application/x-www-form-urlencoded (got '{request.ContentType ?? "(none)"}').");
        }

        var form = QueryHelpers.ParseQuery(Encoding.UTF8.GetString(raw));
        if (!form.TryGetValue("payload", out var payloadField) || string.IsNullOrWhiteSpace(payloadField.ToString()))
        {
            return Invalid("payload", "The form has no 'payload' field holding the interaction JSON.");
        }

        var read = SlackInteraction.Read(payloadField.ToString());
        if (read.Command is not { } command)
        {
            return Invalid(read.Field!, read.Error!);
        }

        var logger = loggers.CreateLogger(typeof(SlackInteractionsApi).FullName!);
        switch (command.Kind)
        {
            case SlackCommandKind.Approve or SlackCommandKind.Reject:
            {
                var action = command.Kind == SlackCommandKind.Approve ? ReviewDecision.Approve : ReviewDecision.Reject;
                var (outcome, status) = await commands.DecideAsync(command.MessageId, new ReviewDecision(action, null, command.By, time.GetUtcNow()), cancellationToken);
                if (ReviewDecisions.Refusal(command.MessageId, outcome, status) is { } why)
                {
                    await TellClickerAsync(slack, slackOptions, command, $"Nothing was changed: {why}", logger, cancellationToken);
                }

                return TypedResults.Ok();
            }

            case SlackCommandKind.OpenEditor:
            {
                var item = await reviews.FindAsync(command.MessageId, cancellationToken);
                if (item is not { Status: MessageStatus.AwaitingReview })
                {
                    var why = item is null ? $"No message has id {command.MessageId}." : $"Message {command.MessageId} is not waiting for a review decision: its status is '{item.Status}'.";
                    await TellClickerAsync(slack, slackOptions, command, $"Nothing to edit: {why}", logger, cancellationToken);
                    return TypedResults.Ok();
                }

                if (item.Draft?.Length > SlackMessages.MaxInputText)
                {
                    // A cut draft in the modal would be sent cut: edit it where the whole text fits.
                    await TellClickerAsync(slack, slackOptions, command, $"This draft is longer than the {SlackMessages.MaxInputText} characters a Slack input holds: edit it through the Sift API (POST /api/messages/{command.MessageId}/decision), or use Approve or Reject here.", logger, cancellationToken);
                    return TypedResults.Ok();
                }

                try
                {
                    await slack.OpenViewAsync(command.TriggerId!, SlackMessages.EditModal(command.MessageId, item.Draft ?? string.Empty), cancellationToken);
                }
                catch (Exception ex) when (IsSlackFailure(ex, cancellationToken))
                {
                    LogEditorFailed(logger, ex, command.MessageId);
                    await TellClickerAsync(slack, slackOptions, command, $"The editor could not be opened ({ex.Message}). Click Edit again.", logger, cancellationToken);
                }

                return TypedResults.Ok();
            }

            case SlackCommandKind.SubmitEdit:
            {
                if (string.IsNullOrWhiteSpace(command.Text))
                {
                    return ViewErrors("The reply is empty: write the text to send, or cancel and use Reject.");
                }

                var (outcome, status) = await commands.DecideAsync(command.MessageId, new ReviewDecision(ReviewDecision.Edit, command.Text, command.By, time.GetUtcNow()), cancellationToken);
                return ReviewDecisions.Refusal(command.MessageId, outcome, status) is { } why
                    ? ViewErrors($"Nothing was changed: {why}")
                    : ViewResponse(new SlackViewResponse("clear"));
            }

            default:
                return TypedResults.Ok();
        }
    }

    /// <summary>An ephemeral note to the clicker through the interaction's response_url. It is best effort: the answer to Slack must not wait on it failing.</summary>
    private static async Task TellClickerAsync(SlackApi slack, SlackOptions options, SlackCommand command, string text, ILogger logger, CancellationToken cancellationToken)
    {
        if (ResponseUrl(command.ResponseUrl, options) is not { } url)
        {
            return;
        }

        try
        {
            await slack.RespondAsync(url, text, cancellationToken);
        }
        catch (Exception ex) when (IsSlackFailure(ex, cancellationToken))
        {
            LogResponseFailed(logger, ex, command.MessageId);
        }
    }

    /// <summary>Slack refused, could not be reached, or the resilience pipeline gave up (attempt timeout, open circuit): not Sift's failure, not a 500.</summary>
    private static bool IsSlackFailure(Exception ex, CancellationToken cancellationToken) =>
        ex is SlackApiException or HttpRequestException or Polly.ExecutionRejectedException
        || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested);

    /// <summary>
    /// Slack's response URLs are on hooks.slack.com; anything else in a signed payload is not followed (tests point the Web
    /// API base at a local server, whose host is accepted too).
    /// </summary>
    private static Uri? ResponseUrl(string? value, SlackOptions options) =>
        Uri.TryCreate(value, UriKind.Absolute, out var url)
        && ((url.Scheme == Uri.UriSchemeHttps && url.Host == "hooks.slack.com")
            || (url.Scheme == options.ApiBaseUrl.Scheme && url.Authority == options.ApiBaseUrl.Authority))
            ? url
            : null;

    private static ContentHttpResult ViewErrors(string error) =>
        ViewResponse(new SlackViewResponse("errors", new Dictionary<string, string> { [SlackMessages.DraftBlock] = error }));

    private static ContentHttpResult ViewResponse(SlackViewResponse response) =>
        TypedResults.Content(JsonSerializer.Serialize(response, SlackJsonContext.Default.SlackViewResponse), "application/json", Encoding.UTF8);

    private static ValidationProblem Invalid(string field, string error) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [error] }, title: "Invalid Slack interaction");

    private static async Task<byte[]?> ReadBodyAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        if (request.ContentLength > MaxBodyBytes)
        {
            return null;
        }

        using var buffer = new MemoryStream();
        var chunk = new byte[16 * 1024];
        int read;
        while ((read = await request.Body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxBodyBytes)
            {
                return null;
            }

            buffer.Write(chunk, 0, read);
        }

        return buffer.ToArray();
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "The Slack edit modal for message {MessageId} could not be opened")]
    private static partial void LogEditorFailed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The ephemeral Slack answer about message {MessageId} could not be posted")]
    private static partial void LogResponseFailed(ILogger logger, Exception exception, Guid messageId);
}
