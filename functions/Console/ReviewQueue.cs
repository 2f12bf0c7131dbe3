using Dapper;
using Microsoft.Extensions.Options;
using Sift.Storage;

namespace Sift.WebConsole;

/// <summary>One review waiting in the queue.</summary>
internal sealed record QueueItem
{
    public Guid Id { get; init; }

    public required string Mailbox { get; init; }

    public required string Sender { get; init; }

    public required string Subject { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    public string? Intent { get; init; }

    public string? Urgency { get; init; }

    public string? Owner { get; init; }

    /// <summary>When the review is due (the workflow's wait deadline: the SLA); null when it waits without one.</summary>
    public DateTimeOffset? Deadline { get; init; }
}

/// <summary>The queue's filters, as the page's query string gives them.</summary>
internal sealed record QueueFilter(string? Mailbox, string? Intent, string? Owner, int? MinAgeHours, string? Sla);

/// <summary>Where a review stands against its SLA deadline.</summary>
internal static class SlaState
{
    public const string OnTime = "on-time";
    public const string DueSoon = "due-soon";
    public const string Overdue = "overdue";
    public const string None = "none";

    public static readonly IReadOnlyList<string> All = [OnTime, DueSoon, Overdue];

    public static string Of(DateTimeOffset? deadline, DateTimeOffset now, TimeSpan dueSoon) =>
        deadline is not { } due ? None : due <= now ? Overdue : due - now <= dueSoon ? DueSoon : OnTime;

    public static string Label(string state) => state switch
    {
        OnTime => "on time",
        DueSoon => "due soon",
        Overdue => "overdue",
        _ => "no deadline",
    };
}

/// <summary>The console's review queue: every message awaiting review, soonest deadline first.</summary>
internal sealed class ReviewQueue(SiftDatabase database, TimeProvider time, IOptionsMonitor<ConsoleOptions> options)
{
    /// <summary>More than a team can review in a sitting; the page says when the list was cut.</summary>
    public const int Limit = 500;

    public async Task<(IReadOnlyList<QueueItem> Items, IReadOnlyList<QueueItem> Unfiltered)> ListAsync(QueueFilter filter, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var all = (await connection.QueryAsync<QueueItem>(new CommandDefinition(
            """
            SELECT m.id AS Id, m.mailbox AS Mailbox, m.sender AS Sender, m.subject AS Subject, m.received_at AS ReceivedAt,
                   m.intent AS Intent, m.urgency AS Urgency, m.owner AS Owner, w.wait_deadline AS Deadline
            FROM messages m JOIN workflows w ON w.message_id = m.id
            WHERE m.status = @status
            ORDER BY m.id
            LIMIT @limit
            """,
            new { status = MessageStatus.AwaitingReview, limit = Limit },
            cancellationToken: cancellationToken))).AsList();

        // The waiting set is small (it is people's work), so the filters and the SLA order run here, on one clock.
        var now = time.GetUtcNow();
        var dueSoon = options.CurrentValue.DueSoon;
        var items = all
            .Where(i => filter.Mailbox is null || string.Equals(i.Mailbox, filter.Mailbox, StringComparison.OrdinalIgnoreCase))
            .Where(i => filter.Intent is null || i.Intent == filter.Intent)
            .Where(i => filter.Owner is null || i.Owner == filter.Owner)
            .Where(i => filter.MinAgeHours is not { } hours || now - i.ReceivedAt >= TimeSpan.FromHours(hours))
            .Where(i => filter.Sla is null || SlaState.Of(i.Deadline, now, dueSoon) == filter.Sla)
            .OrderBy(i => i.Deadline ?? DateTimeOffset.MaxValue)
            .ThenBy(i => i.ReceivedAt)
            .ToList();
        return (items, all);
    }
}
