using System.Data.Common;
using Dapper;
using Sift.Storage;

namespace Sift.Ingestion;

/// <summary>States of an ingest job.</summary>
public static class IngestJobState
{
    /// <summary>Waiting for (or held by) a worker; a claimed job is due again when its lease runs out.</summary>
    public const string Queued = "queued";

    public const string Done = "done";

    /// <summary>Failed on every attempt; the error is kept.</summary>
    public const string Dead = "dead";

    /// <summary>Refused on sight (forged, malformed, unparsable): nothing was enqueued for it, the reason is kept.</summary>
    public const string Rejected = "rejected";
}

/// <summary>What a source asks the ingest queue to do later, outside the webhook's request.</summary>
/// <param name="Source">The handler that runs it: <c>graph</c>, <c>gmail</c>, <c>imap</c>.</param>
/// <param name="Kind">What the handler should do, e.g. <c>notification</c>, <c>catch_up</c>.</param>
/// <param name="Mailbox">The watched mailbox the work belongs to.</param>
/// <param name="Payload">The handler's own JSON.</param>
/// <param name="DedupeKey">When set, a second job with the same source and key is not created (e.g. Graph's repeated notifications).</param>
public sealed record IngestJobRequest(string Source, string Kind, string Mailbox, string Payload, string? DedupeKey = null);

/// <summary>A claimed ingest job.</summary>
public sealed record IngestJob(Guid Id, string Source, string Kind, string Mailbox, string Payload, int Attempt);

/// <summary>A job as the API lists it.</summary>
public sealed record IngestJobSummary(Guid Id, string Source, string Kind, string Mailbox, string State, int Attempt, string? LastError, DateTimeOffset CreatedAt, DateTimeOffset UpdatedAt);

/// <summary>
/// The durable queue between the sources' webhooks and listeners and <see cref="Queue.MessageIntake"/>: a webhook
/// writes one row and answers; a worker claims it, fetches the mail and ingests it. A claimed job holds a lease
/// (its <c>next_run_at</c>), so a worker that dies leaves it due again, never lost. Retries back off exponentially and
/// end in the dead state with the error.
/// </summary>
public sealed class IngestJobs(SiftDatabase database, IngestSignal signal, TimeProvider time)
{
    /// <summary>With the backoff below, about an hour and a half of retries: longer than a typical outage of a peer or of Redis.</summary>
    public const int MaxAttempts = 16;

    /// <summary>
    /// Persists a job. Returns false when a job with the same dedupe key is already queued or done. A dead one is queued
    /// again: the same work asked for anew (say, by a delta catch-up after an outage) must not be swallowed by the key.
    /// </summary>
    public async Task<bool> EnqueueAsync(IngestJobRequest request, CancellationToken cancellationToken)
    {
        var created = await InsertAsync(request, IngestJobState.Queued, lastError: null, cancellationToken);
        if (created)
        {
            IngestTelemetry.Enqueued.Add(1, new KeyValuePair<string, object?>("source", request.Source));
            signal.Notify();
        }

        return created;
    }

    /// <summary>Records input refused on sight (a forged notification, an unparsable message), so that it is visible, not silently dropped.</summary>
    public async Task RecordRejectionAsync(IngestJobRequest request, string reason, CancellationToken cancellationToken)
    {
        IngestTelemetry.Rejected.Add(1, new KeyValuePair<string, object?>("source", request.Source));
        // Whatever an unauthenticated caller sent is kept short: a rejection is evidence, not storage.
        await InsertAsync(request with { DedupeKey = null, Payload = Truncate(request.Payload, 4096), Mailbox = Truncate(request.Mailbox, 320) }, IngestJobState.Rejected, Truncate(reason), cancellationToken);
    }

    private async Task<bool> InsertAsync(IngestJobRequest request, string state, string? lastError, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var inserted = await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO ingest_jobs (id, source, kind, mailbox, dedupe_key, payload, state, attempt, next_run_at, last_error, created_at, updated_at)
            VALUES (@Id, @Source, @Kind, @Mailbox, @DedupeKey, @Payload, @State, 0, @Now, @LastError, @Now, @Now)
            ON CONFLICT (source, dedupe_key) WHERE dedupe_key IS NOT NULL DO UPDATE
                SET state = excluded.state, attempt = 0, next_run_at = excluded.next_run_at, payload = excluded.payload,
                    last_error = NULL, updated_at = excluded.updated_at
                WHERE ingest_jobs.state = 'dead' AND excluded.state = 'queued'
            """,
            new
            {
                Id = Guid.CreateVersion7(now),
                request.Source,
                request.Kind,
                Mailbox = request.Mailbox.Replace("\0", string.Empty, StringComparison.Ordinal),
                request.DedupeKey,
                Payload = request.Payload.Replace("\0", string.Empty, StringComparison.Ordinal),
                State = state,
                Now = now,
                LastError = lastError,
            },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
        return inserted == 1;
    }

    /// <summary>Claims up to <paramref name="max"/> due jobs for <paramref name="lease"/>.</summary>
    public async Task<IReadOnlyList<IngestJob>> ClaimAsync(int max, TimeSpan lease, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var parameters = new { Now = now, Until = now + lease, Max = max, Queued = IngestJobState.Queued };
        await using var connection = await database.OpenAsync(cancellationToken);
        var skipLocked = database.Engine == DatabaseEngine.Postgres ? "FOR UPDATE SKIP LOCKED" : string.Empty;
        var rows = await database.WriteAsync(connection, transaction => connection.QueryAsync<JobRow>(new CommandDefinition(
            $"""
            UPDATE ingest_jobs SET next_run_at = @Until, attempt = attempt + 1, updated_at = @Now
            WHERE id IN (SELECT id FROM ingest_jobs WHERE state = @Queued AND next_run_at <= @Now ORDER BY next_run_at LIMIT @Max {skipLocked})
            RETURNING id AS Id, source AS Source, kind AS Kind, mailbox AS Mailbox, payload AS Payload, attempt AS Attempt
            """,
            parameters,
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
        return [.. rows.Select(r => new IngestJob(r.Id, r.Source, r.Kind, r.Mailbox, r.Payload, (int)r.Attempt))];
    }

    public Task CompleteAsync(IngestJob job, CancellationToken cancellationToken) =>
        UpdateAsync(job, IngestJobState.Done, time.GetUtcNow(), lastError: null, cancellationToken);

    /// <summary>
    /// Records a failed attempt: due again after a backoff, or dead after the last attempt or when the failure is permanent.
    /// <paramref name="retryAfter"/>, when the peer named one (HTTP Retry-After), is honoured if longer than the backoff.
    /// </summary>
    public async Task<bool> FailAsync(IngestJob job, string error, bool permanent, TimeSpan? retryAfter, CancellationToken cancellationToken)
    {
        var dead = permanent || job.Attempt >= MaxAttempts;
        var delay = Backoff(job.Attempt);
        if (retryAfter is { } peer && peer > delay)
        {
            delay = peer;
        }

        await UpdateAsync(job, dead ? IngestJobState.Dead : IngestJobState.Queued, time.GetUtcNow() + delay, Truncate(error), cancellationToken);
        return dead;
    }

    private static string Truncate(string value, int max = 2000) => value.Length <= max ? value : value[..max] + "…";

    /// <summary>Exponential backoff from 2 s, capped at 10 minutes, with up to 20% jitter.</summary>
    internal static TimeSpan Backoff(int attempt)
    {
        var seconds = Math.Min(600, 2 * Math.Pow(2, Math.Max(0, attempt - 1)));
        return TimeSpan.FromSeconds(seconds * (1 + (Random.Shared.NextDouble() * 0.2)));
    }

    /// <summary>
    /// Records the outcome of one claim. Fenced by the attempt it claimed: a worker whose lease ran out while another
    /// worker re-claimed the job (attempt + 1) cannot overwrite that worker's outcome.
    /// </summary>
    private async Task UpdateAsync(IngestJob job, string state, DateTimeOffset nextRunAt, string? lastError, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE ingest_jobs SET state = @state, next_run_at = @nextRunAt, last_error = @lastError, updated_at = @now WHERE id = @id AND attempt = @attempt AND state = @queued",
            new { id = job.Id, attempt = job.Attempt, queued = IngestJobState.Queued, state, nextRunAt, lastError, now = time.GetUtcNow() },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    /// <summary>
    /// Finished jobs are kept for <paramref name="retention"/> (their dedupe keys absorb late repeats), dead and rejected
    /// ones for <paramref name="failedRetention"/> (so they can be looked at and retried), then removed.
    /// </summary>
    public async Task<int> PurgeAsync(TimeSpan retention, TimeSpan failedRetention, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        return await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM ingest_jobs WHERE (state = @done AND updated_at < @before) OR (state IN (@dead, @rejected) AND updated_at < @failedBefore)",
            new { done = IngestJobState.Done, dead = IngestJobState.Dead, rejected = IngestJobState.Rejected, before = now - retention, failedBefore = now - failedRetention },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    /// <summary>Jobs in a state, newest first: what the API shows for dead and rejected input.</summary>
    public async Task<IReadOnlyList<IngestJobSummary>> ListAsync(string state, int limit, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<JobRow>(new CommandDefinition(
            """
            SELECT id AS Id, source AS Source, kind AS Kind, mailbox AS Mailbox, state AS State, attempt AS Attempt,
                   last_error AS LastError, created_at AS CreatedAt, updated_at AS UpdatedAt
            FROM ingest_jobs WHERE state = @state ORDER BY created_at DESC LIMIT @limit
            """,
            new { state, limit },
            cancellationToken: cancellationToken));
        return [.. rows.Select(r => new IngestJobSummary(r.Id, r.Source, r.Kind, r.Mailbox, r.State, (int)r.Attempt, r.LastError, r.CreatedAt, r.UpdatedAt))];
    }

    /// <summary>A row as Dapper reads it on both engines (SQLite returns text ids and 64-bit integers).</summary>
    private sealed class JobRow
    {
        public Guid Id { get; init; }

        public string Source { get; init; } = string.Empty;

        public string Kind { get; init; } = string.Empty;

        public string Mailbox { get; init; } = string.Empty;

        public string Payload { get; init; } = string.Empty;

        public string State { get; init; } = string.Empty;

        public long Attempt { get; init; }

        public string? LastError { get; init; }

        public DateTimeOffset CreatedAt { get; init; }

        public DateTimeOffset UpdatedAt { get; init; }
    }

    /// <summary>Puts a dead job back in the queue.</summary>
    public async Task<bool> RetryAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var updated = await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE ingest_jobs SET state = @queued, attempt = 0, next_run_at = @now, updated_at = @now WHERE id = @id AND state = @dead",
            new { id, queued = IngestJobState.Queued, dead = IngestJobState.Dead, now = time.GetUtcNow() },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
        if (updated == 1)
        {
            signal.Notify();
        }

        return updated == 1;
    }
}

/// <summary>Per-source, per-mailbox positions: a Graph delta link, a Gmail history id, an IMAP UIDVALIDITY and UID.</summary>
public sealed class IngestCursors(SiftDatabase database, TimeProvider time)
{
    public async Task<string?> GetAsync(string source, string mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<string?>(new CommandDefinition(
            "SELECT cursor FROM ingest_cursors WHERE source = @source AND mailbox = @mailbox",
            new { source, mailbox },
            cancellationToken: cancellationToken));
    }

    public async Task SetAsync(string source, string mailbox, string cursor, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await SetAsync(connection, source, mailbox, cursor, cancellationToken);
    }

    private async Task SetAsync(DbConnection connection, string source, string mailbox, string cursor, CancellationToken cancellationToken) =>
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO ingest_cursors (source, mailbox, cursor, updated_at) VALUES (@source, @mailbox, @cursor, @now)
            ON CONFLICT (source, mailbox) DO UPDATE SET cursor = excluded.cursor, updated_at = excluded.updated_at
            """,
            new { source, mailbox, cursor, now = time.GetUtcNow() },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);

    public async Task DeleteAsync(string source, string mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM ingest_cursors WHERE source = @source AND mailbox = @mailbox",
            new { source, mailbox },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }
}

/// <summary>Wakes the ingest worker when a job arrives.</summary>
public sealed class IngestSignal : Queue.WakeSignal;
