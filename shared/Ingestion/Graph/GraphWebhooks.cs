using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Sift.Queue;

namespace Sift.Ingestion.Graph;

/// <summary>
/// Graph's notification and lifecycle URLs. Graph cannot send Sift's API key: each item authenticates with the clientState
/// of its subscription. The endpoint answers the validation handshake, checks every item, persists one ingest job per
/// accepted item and answers 202; refused items are recorded, never queued. Storage failing answers 503 (the API's
/// exception handler), so Graph retries instead of losing the batch.
/// </summary>
internal static class GraphWebhooks
{
    private const long MaxBodyBytes = 1024 * 1024;

    private const int MaxBatchItems = 1000;

    private static readonly string[] LifecycleEvents = ["reauthorizationRequired", "subscriptionRemoved", "missed"];

    public static IEndpointRouteBuilder Map(IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<GraphOptions>>().Value.Enabled)
        {
            return app;
        }

        var group = app.MapGroup("/webhooks/graph").WithTags("webhooks");
        group.MapPost("/", NotifyAsync);
        group.MapPost("/lifecycle", NotifyAsync);
        return app;
    }

    internal static async Task<Results<ContentHttpResult, Accepted, ProblemHttpResult>> NotifyAsync(
        HttpRequest request, GraphSubscriptionStore store, IngestJobs jobs, IOptions<GraphOptions> options, CancellationToken cancellationToken)
    {
        // The handshake comes before anything else, the body unread: the token, URL-decoded, as plain text.
        if (request.Query.TryGetValue("validationToken", out var token))
        {
            return TypedResults.Text(token.ToString(), "text/plain", System.Text.Encoding.UTF8, StatusCodes.Status200OK);
        }

        // Graph batches at most a few hundred small notifications; anything larger is not Graph.
        request.HttpContext.SetMaxRequestBodySize(MaxBodyBytes);

        if (request.ContentLength > MaxBodyBytes)
        {
            return TypedResults.Problem(title: "Notification batch too large", detail: $"Graph notification batches up to {MaxBodyBytes / 1024} KB are accepted.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }

        GraphNotificationBatch? batch;
        try
        {
            batch = await JsonSerializer.DeserializeAsync(request.Body, GraphJsonContext.Default.GraphNotificationBatch, cancellationToken);
        }
        catch (Microsoft.AspNetCore.Http.BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return TypedResults.Problem(title: "Notification batch too large", detail: $"Graph notification batches up to {MaxBodyBytes / 1024} KB are accepted.", statusCode: StatusCodes.Status413PayloadTooLarge);
        }
        catch (JsonException ex)
        {
            return Invalid($"The body is not valid JSON (line {ex.LineNumber + 1}, {ex.Path ?? "$"}): expected {{\"value\": [notifications]}}.");
        }

        if (batch?.Value is not { } items)
        {
            return Invalid("The body lacks the 'value' array of notifications.");
        }

        if (items.Any(item => item is null))
        {
            return Invalid("The 'value' array holds a null notification.");
        }

        if (items.Length > MaxBatchItems)
        {
            return Invalid($"The batch holds {items.Length} notifications; Graph sends at most {MaxBatchItems}.");
        }

        var tenant = options.Value.TenantId;
        var known = new Dictionary<string, GraphSubscription?>(StringComparer.Ordinal);
        foreach (var item in items)
        {
            GraphSubscription? subscription = null;
            if (item.SubscriptionId is { } id && !known.TryGetValue(id, out subscription))
            {
                subscription = known[id] = await store.FindAsync(id, cancellationToken);
            }

            var refusal = subscription is null ? "unknown subscription"
                : !string.Equals(item.TenantId, tenant, StringComparison.OrdinalIgnoreCase) ? "unexpected tenant"
                : !GraphSubscriptionStore.Matches(item.ClientState, subscription.ClientStateHash) ? "clientState does not match the subscription's"
                : item.LifecycleEvent is null && item.ResourceData?.Id is null ? "no resourceData.id"
                : item.LifecycleEvent is { } lifecycle && !LifecycleEvents.Contains(lifecycle, StringComparer.Ordinal) ? $"unknown lifecycle event '{lifecycle}'"
                : null;
            if (refusal is not null)
            {
                var seen = new GraphRejectedNotification(item.SubscriptionId, item.TenantId, item.ChangeType, item.ResourceData?.Id, item.LifecycleEvent);
                await jobs.RecordRejectionAsync(
                    new IngestJobRequest(GraphJobs.Source, GraphJobs.Notification, subscription?.Mailbox ?? string.Empty, JsonSerializer.Serialize(seen, GraphJsonContext.Default.GraphRejectedNotification)),
                    $"Graph notification refused: {refusal}.",
                    cancellationToken);
                continue;
            }

            await jobs.EnqueueAsync(Job(item, subscription!), cancellationToken);
        }

        return TypedResults.Accepted((string?)null);
    }

    private static IngestJobRequest Job(GraphNotification item, GraphSubscription subscription)
    {
        if (item.LifecycleEvent is { } lifecycle)
        {
            var payload = JsonSerializer.Serialize(new GraphLifecycleJob(1, subscription.Id, lifecycle), GraphJsonContext.Default.GraphLifecycleJob);

            // Graph repeats a delivery it thinks failed; a reauthorization is asked again for a new expiry, not the same one.
            // A removal is acted on once per subscription (a repeat would recreate again).
            var key = lifecycle switch
            {
                "reauthorizationRequired" => $"lifecycle:{subscription.Id}:{lifecycle}:{item.SubscriptionExpirationDateTime}",
                "subscriptionRemoved" => $"lifecycle:{subscription.Id}:{lifecycle}",
                _ => null,
            };
            return new IngestJobRequest(GraphJobs.Source, GraphJobs.Lifecycle, subscription.Mailbox, payload, key);
        }

        var messageId = item.ResourceData!.Id!;
        return new IngestJobRequest(
            GraphJobs.Source,
            GraphJobs.Message,
            subscription.Mailbox,
            JsonSerializer.Serialize(new GraphMessageJob(1, messageId, subscription.Id), GraphJsonContext.Default.GraphMessageJob),
            GraphJobs.MessageKey(subscription.Mailbox, messageId));
    }

    private static ProblemHttpResult Invalid(string detail) =>
        TypedResults.Problem(title: "Invalid Graph notification", detail: detail, statusCode: StatusCodes.Status400BadRequest);
}
