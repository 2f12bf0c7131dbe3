using Dapper;
using Sift.Engine;
using Sift.Storage;

namespace Sift.Triage;

/// <summary>Hands a waiting review to another owner: the owner changes, the audit trail says who moved it, and the wait goes on.</summary>
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
        var row = await connection.QuerySingleOrDefaultAsync<(string Status, string? Owner)?>(new CommandDefinition(
            $"SELECT status, owner FROM messages WHERE id = @messageId {lockClause}", new { messageId }, transaction, cancellationToken: cancellationToken));
        if (row is not { } current)
        {
            return (EventOutcome.NotFound, null);
        }

        // Only a waiting review can move: once decided, the owner on record is the one who had it.
        if (current.Status != MessageStatus.AwaitingReview)
        {
            return (EventOutcome.NotWaiting, current.Status);
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
