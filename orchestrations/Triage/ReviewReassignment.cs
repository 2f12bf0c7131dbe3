using Dapper;
using Sift.Engine;
using Sift.Storage;

namespace Sift.Triage;

/// <summary>
/// Hands a waiting review to another owner: the owner changes, the audit trail says who moved it, and the wait goes on.
/// Refused (<see cref="EventOutcome.Refused"/>) while the review passes its SLA deadline and escalates.
/// </summary>
public static class ReviewReassignment
{
    public static async Task<(EventOutcome Outcome, string? Status)> ReassignAsync(
        this SiftDatabase database, Guid messageId, string owner, string by, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await database.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var lockClause = database.Engine == DatabaseEngine.Postgres ? "FOR UPDATE" : string.Empty;
        var row = await connection.QuerySingleOrDefaultAsync<(string Status, string? Owner, bool Escalating)?>(new CommandDefinition(
            $"""
            SELECT m.status AS Status, m.owner AS Owner,
                   CASE WHEN w.state <> 'waiting' OR (w.wait_deadline IS NOT NULL AND w.wait_deadline <= @now) THEN 1 ELSE 0 END AS Escalating
            FROM messages m JOIN workflows w ON w.message_id = m.id
            WHERE m.id = @messageId {lockClause}
            """,
            new { messageId, now },
            transaction,
            cancellationToken: cancellationToken));
        if (row is not { } current)
        {
            return (EventOutcome.NotFound, null);
        }

        // Only a waiting review can move: once decided, the owner on record is the one who had it.
        if (current.Status != MessageStatus.AwaitingReview)
        {
            return (EventOutcome.NotWaiting, current.Status);
        }

        // Past its deadline (or being resumed by a worker right now) the review is escalating to the fallback owner,
        // which would overwrite the move unseen: the person reassigns after the escalation instead.
        if (current.Escalating)
        {
            return (EventOutcome.Refused, current.Status);
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE messages SET owner = @owner, updated_at = @now WHERE id = @messageId;
            INSERT INTO audit_log (message_id, at, step, what, why, actor) VALUES (@messageId, @now, 'reassign', @what, @why, @by);
            """,
            new { messageId, owner, now, by, what = $"reassigned from {current.Owner ?? "nobody"} to {owner}", why = $"reassigned by {by}" },
            transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        return (EventOutcome.Accepted, current.Status);
    }
}
