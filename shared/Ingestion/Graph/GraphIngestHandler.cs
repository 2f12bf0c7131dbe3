using System.Text.Json;
using Microsoft.Extensions.Logging;
using Sift.Queue;

namespace Sift.Ingestion.Graph;

/// <summary>
/// Runs the Graph ingest jobs: fetch a notified message and ingest it; run the delta query of a mailbox and queue a fetch
/// for each new message; act on lifecycle events (renew on reauthorizationRequired, recreate and catch up on
/// subscriptionRemoved, catch up on missed).
/// </summary>
public sealed partial class GraphIngestHandler(
    GraphMail graph,
    GraphSubscriptionManager subscriptions,
    GraphSubscriptionStore store,
    IngestJobs jobs,
    IngestCursors cursors,
    MessageIntake intake,
    ILogger<GraphIngestHandler> logger) : IIngestHandler
{
    public string Source => GraphJobs.Source;

    public async Task HandleAsync(IngestJob job, CancellationToken cancellationToken)
    {
        switch (job.Kind)
        {
            case GraphJobs.Message:
                var message = Read(job, GraphJsonContext.Default.GraphMessageJob);
                var inbound = await graph.FetchAsync(job.Mailbox, message.MessageId, cancellationToken);
                await intake.IngestAsync(job.Mailbox, inbound, GraphJobs.Source, cancellationToken);
                break;
            case GraphJobs.CatchUp:
                await CatchUpAsync(job.Mailbox, cancellationToken);
                break;
            case GraphJobs.Lifecycle:
                await LifecycleAsync(job.Mailbox, Read(job, GraphJsonContext.Default.GraphLifecycleJob), cancellationToken);
                break;
            default:
                throw new IngestPermanentException($"Unknown Graph job kind '{job.Kind}'.");
        }
    }

    /// <summary>Runs the delta query from the stored delta link and queues a fetch for each message it reports.</summary>
    public async Task<int> CatchUpAsync(string mailbox, CancellationToken cancellationToken)
    {
        var link = await cursors.GetAsync(GraphJobs.Source, mailbox, cancellationToken);
        IReadOnlyList<string> ids;
        string? next;
        try
        {
            (ids, next) = await graph.DeltaAsync(mailbox, link, cancellationToken);
        }
        catch (IngestPermanentException) when (link is not null)
        {
            // The delta link is no longer valid (the sync state expired): start a new round.
            await cursors.DeleteAsync(GraphJobs.Source, mailbox, cancellationToken);
            (ids, next) = await graph.DeltaAsync(mailbox, null, cancellationToken);
        }

        var queued = 0;
        foreach (var id in ids)
        {
            var payload = JsonSerializer.Serialize(new GraphMessageJob(1, id, null), GraphJsonContext.Default.GraphMessageJob);
            if (await jobs.EnqueueAsync(new IngestJobRequest(GraphJobs.Source, GraphJobs.Message, mailbox, payload, GraphJobs.MessageKey(mailbox, id)), cancellationToken))
            {
                queued++;
            }
        }

        // Stored only after every message is queued: a crash before this point repeats the round, and the dedupe keys absorb it.
        if (next is not null)
        {
            await cursors.SetAsync(GraphJobs.Source, mailbox, next, cancellationToken);
        }

        LogCaughtUp(logger, mailbox, ids.Count, queued);
        return queued;
    }

    private async Task LifecycleAsync(string mailbox, GraphLifecycleJob lifecycle, CancellationToken cancellationToken)
    {
        switch (lifecycle.LifecycleEvent)
        {
            case "reauthorizationRequired":
                if (await store.FindAsync(lifecycle.SubscriptionId, cancellationToken) is { } subscription)
                {
                    if (!await subscriptions.RenewAsync(subscription, cancellationToken))
                    {
                        await CatchUpAsync(mailbox, cancellationToken);
                    }
                }

                break;
            case "subscriptionRemoved":
                // Only if the removed subscription is still the one on record: a late or repeated event must not replace
                // the subscription that was created since.
                if (await store.FindByMailboxAsync(mailbox, cancellationToken) is not { } current || current.Id == lifecycle.SubscriptionId)
                {
                    await subscriptions.RecreateAsync(mailbox, cancellationToken);
                }

                await CatchUpAsync(mailbox, cancellationToken);
                break;
            case "missed":
                await CatchUpAsync(mailbox, cancellationToken);
                break;
            default:
                throw new IngestPermanentException($"Unknown Graph lifecycle event '{lifecycle.LifecycleEvent}'.");
        }
    }

    private static T Read<T>(IngestJob job, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> type)
    {
        try
        {
            return JsonSerializer.Deserialize(job.Payload, type) ?? throw new IngestPermanentException($"The {job.Kind} job has an empty payload.");
        }
        catch (JsonException ex)
        {
            throw new IngestPermanentException($"The {job.Kind} job's payload is unreadable: {ex.Message}", ex);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Graph delta for {Mailbox}: {Reported} message(s) reported, {Queued} newly queued")]
    private static partial void LogCaughtUp(ILogger logger, string mailbox, int reported, int queued);
}
