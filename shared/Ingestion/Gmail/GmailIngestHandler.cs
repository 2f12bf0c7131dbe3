using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sift.Mail;
using Sift.Queue;
using Sift.Telemetry;

namespace Sift.Ingestion.Gmail;

internal static class GmailJobs
{
    public const string Source = "gmail";
    public const string Notification = "notification";
    public const string Message = "message";

    /// <summary>The cursor source under which the watch's expiry (epoch ms) is kept beside the history id.</summary>
    public const string WatchSource = "gmail.watch";
}

/// <summary>
/// Runs a Gmail notification: everything added to INBOX since the stored history id (<c>users.history.list</c>, paged),
/// each message fetched raw, normalized and ingested; the cursor moves only after all of them are in. A history id too
/// old for Gmail (404) falls back to a bounded resync of recent INBOX mail.
/// </summary>
internal sealed partial class GmailIngestHandler(
    GmailApi gmail,
    IngestCursors cursors,
    IngestJobs jobs,
    MessageIntake intake,
    IOptions<GmailOptions> options,
    TimeProvider time,
    ILogger<GmailIngestHandler> logger) : IIngestHandler
{
    // One sync per mailbox at a time in this process: two notifications would otherwise fetch the same history twice.
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Locks = new(StringComparer.OrdinalIgnoreCase);

    public string Source => GmailJobs.Source;

    public async Task HandleAsync(IngestJob job, CancellationToken cancellationToken)
    {
        GmailJob? payload;
        try
        {
            payload = JsonSerializer.Deserialize(job.Payload, GmailJsonContext.Default.GmailJob);
        }
        catch (JsonException ex)
        {
            throw new IngestPermanentException("The Gmail job's payload is unreadable.", ex);
        }

        if (payload is null || options.Value.FindMailbox(job.Mailbox) is not { } mailbox)
        {
            throw new IngestPermanentException($"The Gmail job names no payload or an unconfigured mailbox '{job.Mailbox}'.");
        }

        using var activity = SiftTelemetry.Source.StartActivity("gmail.sync");
        activity?.SetTag(SiftTelemetry.MailboxTag, mailbox);
        activity?.SetTag("sift.gmail.pubsub_message_id", payload.MessageId);
        var gate = Locks.GetOrAdd(mailbox, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            await SyncAsync(mailbox, payload, cancellationToken);
        }
        finally
        {
            gate.Release();
        }
    }

    private async Task SyncAsync(string mailbox, GmailJob job, CancellationToken cancellationToken)
    {
        var stored = await cursors.GetAsync(GmailJobs.Source, mailbox, cancellationToken);
        if (!ulong.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            // No watch response stored yet: the notification's history id is the new state, not a start point.
            await ResyncAsync(mailbox, job, "no history id is stored yet", cancellationToken);
            return;
        }

        if (start >= job.HistoryId)
        {
            // An earlier job already read past the state this notification announced (Gmail sends one per change, often in bursts).
            return;
        }

        var ids = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        ulong latest;
        string? page = null;
        try
        {
            do
            {
                var history = await gmail.ListHistoryAsync(mailbox, start, page, cancellationToken);
                foreach (var added in (history.History ?? []).SelectMany(h => h.MessagesAdded ?? []))
                {
                    if (added.Message?.Id is { } id && seen.Add(id))
                    {
                        ids.Add(id);
                    }
                }

                latest = history.HistoryId;
                page = history.NextPageToken;
            }
            while (page is not null);
        }
        catch (GmailNotFoundException)
        {
            await ResyncAsync(mailbox, job, $"history id {start} is too old for Gmail", cancellationToken);
            return;
        }

        await IngestAllAsync(mailbox, job, ids, cancellationToken);
        await AdvanceAsync(mailbox, latest, cancellationToken);
        LogSynced(logger, mailbox, ids.Count, start, latest);
    }

    /// <summary>
    /// Recent INBOX mail (bounded), then the profile's history id as the new start. The history id is read first: mail
    /// that arrives during the listing is found again from it, and the intake's dedupe absorbs the repeat.
    /// </summary>
    private async Task ResyncAsync(string mailbox, GmailJob job, string why, CancellationToken cancellationToken)
    {
        LogResync(logger, mailbox, why);
        var settings = options.Value;
        var profile = await gmail.GetProfileAsync(mailbox, cancellationToken);
        var ids = new List<string>();
        string? page = null;
        do
        {
            var list = await gmail.ListInboxAsync(mailbox, settings.ResyncQuery, Math.Min(500, settings.ResyncLimit - ids.Count), page, cancellationToken);
            ids.AddRange((list.Messages ?? []).Select(m => m.Id).Take(settings.ResyncLimit - ids.Count));
            page = list.NextPageToken;
        }
        while (page is not null && ids.Count < settings.ResyncLimit);

        // Oldest first, as they arrived (Gmail lists newest first).
        ids.Reverse();
        await IngestAllAsync(mailbox, job, ids, cancellationToken);
        await AdvanceAsync(mailbox, profile.HistoryId, cancellationToken);
        LogSynced(logger, mailbox, ids.Count, 0, profile.HistoryId);
    }

    private async Task IngestAllAsync(string mailbox, GmailJob job, List<string> ids, CancellationToken cancellationToken)
    {
        foreach (var id in ids)
        {
            GmailRawMessage raw;
            try
            {
                raw = await gmail.GetRawMessageAsync(mailbox, id, cancellationToken);
            }
            catch (GmailNotFoundException)
            {
                // Deleted between the notification and now: nothing to triage.
                continue;
            }

            var receivedAt = raw.InternalDate is { } ms ? DateTimeOffset.FromUnixTimeMilliseconds(ms) : time.GetUtcNow();
            var parsed = Decode(raw.Raw) is { } bytes
                ? MimeNormalizer.Parse(bytes, receivedAt)
                : MailParseResult.Invalid("raw", "Gmail returned no base64url 'raw' message.");
            if (parsed.Message is not { } message)
            {
                // Refused and recorded once: retrying would fail the same way, so the job goes on with the next message.
                await jobs.RecordRejectionAsync(
                    new IngestJobRequest(GmailJobs.Source, GmailJobs.Message, mailbox, JsonSerializer.Serialize(new GmailRejected(job.MessageId, id, mailbox), GmailJsonContext.Default.GmailRejected)),
                    $"Gmail message {id} cannot be parsed: {parsed.Field}: {parsed.Error}",
                    cancellationToken);
                continue;
            }

            try
            {
                await intake.IngestAsync(mailbox, message with { ProviderMessageId = id, ProviderThreadId = raw.ThreadId }, GmailJobs.Source, cancellationToken);
            }
            catch (Exception ex) when (IngestErrors.IsPermanent(ex))
            {
                // This message can never be stored (e.g. a value PostgreSQL refuses): set aside, so the mail behind it flows.
                await jobs.RecordRejectionAsync(
                    new IngestJobRequest(GmailJobs.Source, GmailJobs.Message, mailbox, JsonSerializer.Serialize(new GmailRejected(job.MessageId, id, mailbox), GmailJsonContext.Default.GmailRejected)),
                    $"Gmail message {id} cannot be stored: {ex.Message}",
                    cancellationToken);
            }
        }
    }

    private static byte[]? Decode(string? raw)
    {
        if (string.IsNullOrEmpty(raw))
        {
            return null;
        }

        try
        {
            return System.Buffers.Text.Base64Url.DecodeFromChars(raw.TrimEnd('='));
        }
        catch (FormatException)
        {
            return null;
        }
    }

    /// <summary>History ids only grow; a late job never moves the cursor back.</summary>
    private async Task AdvanceAsync(string mailbox, ulong historyId, CancellationToken cancellationToken)
    {
        var stored = await cursors.GetAsync(GmailJobs.Source, mailbox, cancellationToken);
        if (!ulong.TryParse(stored, NumberStyles.None, CultureInfo.InvariantCulture, out var current) || historyId > current)
        {
            await cursors.SetAsync(GmailJobs.Source, mailbox, historyId.ToString(CultureInfo.InvariantCulture), cancellationToken);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gmail {Mailbox}: {Count} new messages between history {From} and {To}")]
    private static partial void LogSynced(ILogger logger, string mailbox, int count, ulong from, ulong to);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Gmail {Mailbox}: full resync of recent INBOX mail because {Why}")]
    private static partial void LogResync(ILogger logger, string mailbox, string why);
}
