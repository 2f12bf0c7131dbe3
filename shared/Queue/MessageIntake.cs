using System.Data.Common;
using System.Diagnostics;
using System.Text.Json;
using Dapper;
using Sift.Mail;
using Sift.Storage;
using Sift.Telemetry;

namespace Sift.Queue;

/// <summary>The outcome of ingesting one message: its id, and whether this call created it.</summary>
public sealed record IntakeResult(Guid Id, bool Created);

/// <summary>
/// The one way a message enters Sift, whatever its source: dedupe, then the message row, its workflow
/// instance (which is its place in the work queue) and the first audit entry, in one transaction. When this process
/// runs a worker with a free slot, the instance is handed to it directly (<see cref="LocalDispatch"/>).
/// </summary>
public sealed class MessageIntake(SiftDatabase database, IMessageDedupe dedupe, WorkSignal signal, LocalDispatch dispatch, TimeProvider time)
{
    public async Task<IntakeResult> IngestAsync(string mailbox, InboundMessage message, string source, CancellationToken cancellationToken)
    {
        using var activity = SiftTelemetry.Source.StartActivity("ingest");
        activity?.SetTag(SiftTelemetry.MailboxTag, mailbox);
        message = message.WithoutNulCharacters().WithBoundedIds();
        mailbox = mailbox.Replace("\0", string.Empty, StringComparison.Ordinal);

        var isNew = await dedupe.TryMarkNewAsync(mailbox, message.InternetMessageId, cancellationToken);
        await using var connection = await database.OpenAsync(cancellationToken);
        if (!isNew && await FindAsync(connection, mailbox, message.InternetMessageId, cancellationToken) is { } seen)
        {
            return Duplicate(seen, activity);
        }

        try
        {
            using var ticket = dispatch.TryReserve();
            var result = await InsertAsync(connection, mailbox, message, source, ticket, cancellationToken);
            if (result.Created)
            {
                SiftTelemetry.MessagesIngested.Add(1, new KeyValuePair<string, object?>(SiftTelemetry.MailboxTag, mailbox));
                activity?.SetTag(SiftTelemetry.MessageIdTag, result.Id);
                if (ticket is null)
                {
                    signal.Notify();
                }
                else
                {
                    dispatch.Dispatch(ticket, new DispatchedMessage(result.Id, mailbox, message));
                }

                return result;
            }

            return Duplicate(result.Id, activity);
        }
        catch
        {
            // The sender will retry; it must not find a dedupe mark for a message that was never stored.
            await dedupe.ForgetAsync(mailbox, message.InternetMessageId, CancellationToken.None);
            throw;
        }
    }

    private async Task<IntakeResult> InsertAsync(DbConnection connection, string mailbox, InboundMessage message, string source, DispatchTicket? ticket, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var row = new
        {
            Id = Guid.CreateVersion7(now),
            Mailbox = mailbox,
            message.InternetMessageId,
            message.ThreadId,
            Sender = message.From.Address,
            message.Subject,
            message.ReceivedAt,
            Now = now,
            Status = MessageStatus.Received,
            Content = JsonSerializer.Serialize(message, MailJsonContext.Default.InboundMessage),
            // Dispatched to this process's worker: inserted already claimed by it (first lease, token 1).
            State = ticket is null ? WorkflowState.Queued : WorkflowState.Running,
            NextRunAt = ticket is null ? now : now + ticket.Lease,
            LeaseOwner = ticket?.Owner,
            LeaseToken = ticket is null ? 0L : 1L,
            Why = $"from {source} into mailbox {mailbox}",
            Actor = source,
        };

        if (database.Engine == DatabaseEngine.Postgres)
        {
            // The message, its workflow instance and the first audit entry in one statement: one round trip, atomic.
            var inserted = await connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
                $"""
                WITH m AS ({InsertMessage} RETURNING id),
                     w AS (INSERT INTO workflows (message_id, state, next_run_at, lease_owner, lease_token, created_at, updated_at) SELECT id, @State, @NextRunAt, @LeaseOwner, @LeaseToken, @Now, @Now FROM m),
                     a AS (INSERT INTO audit_log (message_id, at, step, what, why, actor) SELECT id, @Now, 'ingest', 'received', @Why, @Actor FROM m)
                SELECT id FROM m
                """,
                row,
                cancellationToken: cancellationToken));
            return inserted is { } id ? Created(id) : await ExistingAsync(connection, mailbox, message, cancellationToken);
        }

        var created = await database.WriteAsync(
            connection,
            async transaction =>
            {
                if (await connection.ExecuteAsync(new CommandDefinition(InsertMessage, row, transaction, cancellationToken: cancellationToken)) != 1)
                {
                    return false;
                }

                await connection.ExecuteAsync(new CommandDefinition($"{InsertWorkflow};\n{InsertAudit}", row, transaction, cancellationToken: cancellationToken));
                return true;
            },
            cancellationToken);
        return created ? Created(row.Id) : await ExistingAsync(connection, mailbox, message, cancellationToken);
    }

    private const string InsertMessage = """
        INSERT INTO messages (id, mailbox, internet_message_id, thread_id, sender, subject, received_at, created_at, updated_at, status, content)
        VALUES (@Id, @Mailbox, @InternetMessageId, @ThreadId, @Sender, @Subject, @ReceivedAt, @Now, @Now, @Status, @Content)
        ON CONFLICT (mailbox, internet_message_id) DO NOTHING
        """;

    private const string InsertWorkflow =
        "INSERT INTO workflows (message_id, state, next_run_at, lease_owner, lease_token, created_at, updated_at) VALUES (@Id, @State, @NextRunAt, @LeaseOwner, @LeaseToken, @Now, @Now)";

    private const string InsertAudit =
        "INSERT INTO audit_log (message_id, at, step, what, why, actor) VALUES (@Id, @Now, 'ingest', 'received', @Why, @Actor)";

    private static IntakeResult Created(Guid id)
    {
        SiftTelemetry.StorageCommits.Add(1);
        return new IntakeResult(id, Created: true);
    }

    private static async Task<IntakeResult> ExistingAsync(DbConnection connection, string mailbox, InboundMessage message, CancellationToken cancellationToken) =>
        new(await FindAsync(connection, mailbox, message.InternetMessageId, cancellationToken)
            ?? throw new InvalidOperationException("A conflicting message vanished."), Created: false);

    private static Task<Guid?> FindAsync(DbConnection connection, string mailbox, string internetMessageId, CancellationToken cancellationToken) =>
        connection.QuerySingleOrDefaultAsync<Guid?>(new CommandDefinition(
            "SELECT id FROM messages WHERE mailbox = @mailbox AND internet_message_id = @internetMessageId",
            new { mailbox, internetMessageId },
            cancellationToken: cancellationToken));

    private static IntakeResult Duplicate(Guid id, Activity? activity)
    {
        SiftTelemetry.MessagesDuplicate.Add(1);
        activity?.SetTag(SiftTelemetry.MessageIdTag, id);
        activity?.SetTag("sift.duplicate", true);
        return new IntakeResult(id, Created: false);
    }
}

/// <summary>
/// A wake-up for a polling loop: <see cref="Notify"/> ends the current (or next) wait early; notifications that arrive
/// while nobody waits collapse into one. Each queue has its own subclass, so that each is its own singleton.
/// </summary>
public abstract class WakeSignal : IDisposable
{
    private readonly SemaphoreSlim _semaphore = new(0, int.MaxValue);

    public void Notify()
    {
        if (_semaphore.CurrentCount == 0)
        {
            _semaphore.Release();
        }
    }

    public async Task WaitAsync(TimeSpan timeout, CancellationToken cancellationToken) =>
        await _semaphore.WaitAsync(timeout, cancellationToken);

    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            _semaphore.Dispose();
        }
    }
}

/// <summary>Wakes the in-process workers when work arrives, so they need not wait for their next poll.</summary>
public sealed class WorkSignal : WakeSignal;
