using Dapper;
using Sift.Queue;
using Sift.Storage;
using Sift.Telemetry;

namespace Sift.Engine;

public enum EventOutcome
{
    Accepted,
    NotFound,
    NotWaiting,
    AlreadyRaised,

    /// <summary>The caller's own condition, checked in the event's transaction, refused it (e.g. an approval link already used).</summary>
    Refused,
}

public enum RetryOutcome
{
    Requeued,
    NotFound,
    NotDeadLettered,
}

/// <summary>The commands the API sends to workflow instances: raise an external event, retry a dead-lettered instance.</summary>
public sealed class WorkflowCommands(SiftDatabase database, WorkSignal signal, TimeProvider time)
{
    /// <summary>
    /// Records an event for an instance that waits for it (or is about to: still running towards the wait) and wakes it.
    /// Returns the message status when it is not waiting, so the caller can say why the event was refused.
    /// <paramref name="condition"/>, when given, runs in the same transaction just before the event is recorded (e.g. to
    /// spend a single-use link): false refuses the event and rolls both back.
    /// </summary>
    public async Task<(EventOutcome Outcome, string? Status)> RaiseEventAsync(
        Guid messageId,
        string eventName,
        string requiredStatus,
        string payload,
        string actor,
        string why,
        CancellationToken cancellationToken,
        Func<System.Data.Common.DbConnection, System.Data.Common.DbTransaction, CancellationToken, Task<bool>>? condition = null)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await database.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var lockClause = database.Engine == DatabaseEngine.Postgres ? "FOR UPDATE OF w" : string.Empty;
        var row = await connection.QuerySingleOrDefaultAsync<(string State, string Status)?>(new CommandDefinition(
            $"SELECT w.state, m.status FROM workflows w JOIN messages m ON m.id = w.message_id WHERE w.message_id = @messageId {lockClause}",
            new { messageId }, transaction, cancellationToken: cancellationToken));
        if (row is not { } current)
        {
            return (EventOutcome.NotFound, null);
        }

        var raised = await connection.ExecuteScalarAsync<long>(new CommandDefinition(
            "SELECT COUNT(*) FROM workflow_events WHERE message_id = @messageId AND name = @eventName",
            new { messageId, eventName }, transaction, cancellationToken: cancellationToken));
        if (raised > 0)
        {
            return (EventOutcome.AlreadyRaised, current.Status);
        }

        if (current.Status != requiredStatus || current.State is not (WorkflowState.Running or WorkflowState.Waiting))
        {
            return (EventOutcome.NotWaiting, current.Status);
        }

        if (condition is not null && !await condition(connection, transaction, cancellationToken))
        {
            return (EventOutcome.Refused, current.Status);
        }

        var inserted = await connection.ExecuteAsync(new CommandDefinition(
            "INSERT INTO workflow_events (message_id, name, payload, created_at) VALUES (@messageId, @eventName, @payload, @now) ON CONFLICT (message_id, name) DO NOTHING",
            new { messageId, eventName, payload, now }, transaction, cancellationToken: cancellationToken));
        if (inserted == 0)
        {
            return (EventOutcome.AlreadyRaised, current.Status);
        }

        // A waiting instance is queued now; a running one is flagged, and turns its own suspension into a requeue.
        var wake = database.Engine == DatabaseEngine.Postgres ? "true" : "1";
        await connection.ExecuteAsync(new CommandDefinition(
            $"""
            UPDATE workflows SET wake = {wake}, updated_at = @now,
                next_run_at = CASE WHEN state = 'waiting' THEN @now ELSE next_run_at END,
                state = CASE WHEN state = 'waiting' THEN 'queued' ELSE state END
            WHERE message_id = @messageId;
            INSERT INTO audit_log (message_id, at, step, what, why, actor) VALUES (@messageId, @now, @step, @what, @why, @actor);
            """,
            new { messageId, now, step = $"event:{eventName}", what = $"{eventName} received", why, actor },
            transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        SiftTelemetry.StorageCommits.Add(1);
        signal.Notify();
        return (EventOutcome.Accepted, current.Status);
    }

    /// <summary>Puts a dead-lettered instance back in the queue with a fresh attempt count; its completed steps are kept.</summary>
    public async Task<RetryOutcome> RetryAsync(Guid messageId, string actor, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var write = await database.BeginWriteAsync(connection, cancellationToken);
        var transaction = write.Transaction;
        var lockClause = database.Engine == DatabaseEngine.Postgres ? "FOR UPDATE" : string.Empty;
        var state = await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            $"SELECT state FROM workflows WHERE message_id = @messageId {lockClause}", new { messageId }, transaction, cancellationToken: cancellationToken));
        if (state is null)
        {
            return RetryOutcome.NotFound;
        }

        if (state != WorkflowState.Dead)
        {
            return RetryOutcome.NotDeadLettered;
        }

        await connection.ExecuteAsync(new CommandDefinition(
            """
            UPDATE workflows SET state = 'queued', attempt = 0, next_run_at = @now, updated_at = @now WHERE message_id = @messageId AND state = 'dead';
            UPDATE messages SET status = @status, updated_at = @now WHERE id = @messageId;
            INSERT INTO audit_log (message_id, at, step, what, why, actor) VALUES (@messageId, @now, 'retry', 'retry requested', 'dead-lettered instance put back in the queue', @actor);
            """,
            new { messageId, now, status = MessageStatus.Processing, actor },
            transaction,
            cancellationToken: cancellationToken));
        await transaction.CommitAsync(cancellationToken);
        SiftTelemetry.StorageCommits.Add(1);
        signal.Notify();
        return RetryOutcome.Requeued;
    }
}
