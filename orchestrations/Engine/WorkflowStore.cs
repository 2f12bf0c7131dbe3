using Dapper;
using Sift.Storage;
using Sift.Telemetry;

namespace Sift.Engine;

/// <summary>The workflow tables: claiming due instances, loading their history, and committing checkpoints under the lease.</summary>
internal sealed class WorkflowStore(SiftDatabase database)
{
    private static readonly DateTimeOffset Never = new(9999, 12, 31, 0, 0, 0, TimeSpan.Zero);

    public SiftDatabase Database => database;

    public async Task<IReadOnlyList<WorkflowClaim>> ClaimAsync(string owner, int limit, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        // A running instance is due again only when its lease (next_run_at) expired: its worker died.
        var sql = database.Engine == DatabaseEngine.Postgres
            ? """
              UPDATE workflows AS w
              SET state = 'running', lease_owner = @owner, lease_token = w.lease_token + 1, next_run_at = @leaseUntil, wake = false, updated_at = @now,
                  attempt = CASE WHEN w.state = 'running' THEN w.attempt + 1 ELSE w.attempt END
              FROM (SELECT message_id FROM workflows
                    WHERE state IN ('queued', 'running', 'waiting') AND next_run_at <= @now
                    ORDER BY next_run_at LIMIT @limit FOR UPDATE SKIP LOCKED) AS due
              WHERE w.message_id = due.message_id
              RETURNING w.message_id AS MessageId, w.lease_token AS LeaseToken, w.attempt AS Attempt
              """
            : """
              UPDATE workflows
              SET state = 'running', lease_owner = @owner, lease_token = lease_token + 1, next_run_at = @leaseUntil, wake = 0, updated_at = @now,
                  attempt = CASE WHEN state = 'running' THEN attempt + 1 ELSE attempt END
              WHERE message_id IN (SELECT message_id FROM workflows
                                   WHERE state IN ('queued', 'running', 'waiting') AND next_run_at <= @now
                                   ORDER BY next_run_at LIMIT @limit)
              RETURNING message_id AS MessageId, lease_token AS LeaseToken, attempt AS Attempt
              """;
        await using var connection = await database.OpenAsync(cancellationToken);
        var claims = await database.WriteAsync(
            connection,
            async transaction => (await connection.QueryAsync<WorkflowClaim>(new CommandDefinition(sql, new { owner, limit, now, leaseUntil }, transaction, cancellationToken: cancellationToken))).AsList(),
            cancellationToken);

        if (claims.Count > 0)
        {
            SiftTelemetry.StorageCommits.Add(1);
        }

        return claims;
    }

    /// <summary>Extends a running instance's lease; throws <see cref="LeaseLostException"/> when it is no longer this worker's.</summary>
    public async Task RenewAsync(WorkflowClaim claim, DateTimeOffset now, DateTimeOffset leaseUntil, CancellationToken cancellationToken)
    {
        const string Sql = "UPDATE workflows SET next_run_at = @leaseUntil, updated_at = @now WHERE message_id = @id AND lease_token = @token AND state = 'running'";
        var parameters = new { id = claim.MessageId, token = claim.LeaseToken, now, leaseUntil };
        await using var connection = await database.OpenAsync(cancellationToken);
        var renewed = await database.WriteAsync(
            connection,
            transaction => connection.ExecuteAsync(new CommandDefinition(Sql, parameters, transaction, cancellationToken: cancellationToken)),
            cancellationToken);
        if (renewed != 1)
        {
            throw new LeaseLostException(claim.MessageId);
        }
    }

    public async Task<WorkflowHistory?> LoadAsync(Guid messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(
            """
            SELECT mailbox AS Mailbox, content AS Content, owner AS Owner FROM messages WHERE id = @messageId;
            SELECT name AS Name, result AS Result FROM workflow_steps WHERE message_id = @messageId;
            SELECT name AS Name, payload AS Result FROM workflow_events WHERE message_id = @messageId;
            SELECT idempotency_key AS IdempotencyKey, kind AS Kind, state AS State, result AS Result FROM side_effects WHERE message_id = @messageId;
            """,
            new { messageId },
            cancellationToken: cancellationToken));
        var message = await grid.ReadSingleOrDefaultAsync<(string Mailbox, string Content, string? Owner)?>();
        if (message is null)
        {
            return null;
        }

        var steps = (await grid.ReadAsync<(string Name, string Result)>()).ToDictionary(s => s.Name, s => s.Result, StringComparer.Ordinal);
        var events = (await grid.ReadAsync<(string Name, string Result)>()).ToDictionary(s => s.Name, s => s.Result, StringComparer.Ordinal);
        var effects = (await grid.ReadAsync<SideEffectRecord>()).ToDictionary(s => s.IdempotencyKey, StringComparer.Ordinal);
        return new WorkflowHistory(message.Value.Mailbox, message.Value.Content, steps, events, effects) { Owner = message.Value.Owner };
    }

    /// <summary>
    /// Writes a checkpoint in one transaction. The first statement proves the lease (fencing token); if another worker
    /// took the instance over, nothing is written and <see cref="LeaseLostException"/> is thrown.
    /// </summary>
    public async Task CommitAsync(WorkflowClaim claim, Checkpoint checkpoint, CancellationToken cancellationToken)
    {
        using var activity = SiftTelemetry.Source.StartActivity("checkpoint");
        var fence = new
        {
            id = claim.MessageId,
            token = claim.LeaseToken,
            now = checkpoint.Now,
            leaseUntil = checkpoint.LeaseUntil,
            waitEvent = checkpoint.Transition?.WaitEvent,
            waitDeadline = checkpoint.Transition?.WaitDeadline,
            waitUntil = checkpoint.Transition?.WaitDeadline ?? Never,
            nextRunAt = checkpoint.Transition?.NextRunAt ?? checkpoint.Now,
            attempt = checkpoint.Transition?.Attempt ?? claim.Attempt,
            error = checkpoint.Transition?.Error,
        };
        await using var connection = await database.OpenAsync(cancellationToken);
        try
        {
            await database.WriteAsync(
                connection,
                async transaction =>
                {
                    var batch = new SqlBatch();
                    if (database.Engine == DatabaseEngine.Postgres)
                    {
                        // One batch, one round trip, one implicit transaction: if the fence fails, sift_fence aborts all of it.
                        batch.Add($"WITH fenced AS ({TransitionSql(checkpoint.Transition)} RETURNING 1) SELECT sift_fence((SELECT COUNT(*) FROM fenced), @id)", fence);
                    }
                    else if (await connection.ExecuteAsync(new CommandDefinition(TransitionSql(checkpoint.Transition), fence, transaction, cancellationToken: cancellationToken)) != 1)
                    {
                        throw new LeaseLostException(claim.MessageId); // the transaction is rolled back unused
                    }

                    AddCheckpoint(batch, database.Engine, claim, checkpoint);
                    return await batch.ExecuteAsync(connection, transaction, cancellationToken);
                },
                cancellationToken);
        }
        catch (Npgsql.PostgresException ex) when (ex.SqlState == "SF001")
        {
            throw new LeaseLostException(claim.MessageId);
        }

        SiftTelemetry.StorageCommits.Add(1);
    }

    private static void AddCheckpoint(SqlBatch batch, DatabaseEngine engine, WorkflowClaim claim, Checkpoint checkpoint)
    {
        AddSteps(batch, engine, checkpoint.Steps);
        batch
            .AddRange(
                """
                INSERT INTO side_effects (idempotency_key, message_id, kind, state, started_at, completed_at, result)
                VALUES (@IdempotencyKey, @MessageId, @Kind, @State, @Now, @CompletedAt, @Result)
                ON CONFLICT (idempotency_key) DO UPDATE SET state = excluded.state, completed_at = excluded.completed_at, result = excluded.result
                """,
                checkpoint.SideEffects.Select(e => new
                {
                    e.IdempotencyKey,
                    claim.MessageId,
                    e.Kind,
                    e.State,
                    checkpoint.Now,
                    CompletedAt = e.State == "done" ? checkpoint.Now : (DateTimeOffset?)null,
                    e.Result,
                }));
        if (checkpoint.Draft is { } draft)
        {
            batch.Add(
                """
                INSERT INTO drafts (id, message_id, draft_text, template_id, approver, decision, latency_ms, sent_text, created_at, decided_at, source, lint_findings, edit_distance, edit_ratio)
                VALUES (@Id, @MessageId, @DraftText, @TemplateId, @Approver, @Decision, @LatencyMs, @SentText, @CreatedAt, @DecidedAt, @Source, @LintFindings, @EditDistance, @EditRatio)
                ON CONFLICT (message_id) DO UPDATE SET draft_text = excluded.draft_text, template_id = excluded.template_id,
                    approver = excluded.approver, decision = excluded.decision, latency_ms = excluded.latency_ms,
                    sent_text = excluded.sent_text, decided_at = excluded.decided_at, source = excluded.source, lint_findings = excluded.lint_findings,
                    edit_distance = excluded.edit_distance, edit_ratio = excluded.edit_ratio
                """,
                draft);
        }

        if (checkpoint.Patch is { } patch)
        {
            AddMessageUpdate(batch, claim.MessageId, patch, checkpoint.Now);
        }

        AddAudit(batch, engine, checkpoint.Audit);
        if (checkpoint.ModelCalls.Count > 0)
        {
            batch.AddRange(
                """
                INSERT INTO model_calls (message_id, at, step, provider, model, purpose, tokens_in, tokens_out, tokens_estimated, cost_usd, latency_ms, outcome)
                VALUES (@MessageId, @At, @Step, @Provider, @Model, @Purpose, @TokensIn, @TokensOut, @TokensEstimated, @CostUsd, @LatencyMs, @Outcome)
                """,
                checkpoint.ModelCalls.Select(c => new
                {
                    c.MessageId,
                    c.At,
                    c.Step,
                    c.Call.Provider,
                    c.Call.Model,
                    c.Call.Purpose,
                    c.Call.TokensIn,
                    c.Call.TokensOut,
                    c.Call.TokensEstimated,
                    c.Call.CostUsd,
                    c.Call.LatencyMs,
                    c.Call.Outcome,
                }));

            // The sums move with the rows, in the same transaction: a call is counted once, whatever fails afterwards.
            batch.Add(
                "UPDATE messages SET cost_usd = cost_usd + @cost, tokens_in = tokens_in + @tokensIn, tokens_out = tokens_out + @tokensOut WHERE id = @id",
                new
                {
                    id = claim.MessageId,
                    cost = checkpoint.ModelCalls.Sum(c => c.Call.CostUsd),
                    tokensIn = checkpoint.ModelCalls.Sum(c => (long)c.Call.TokensIn),
                    tokensOut = checkpoint.ModelCalls.Sum(c => (long)c.Call.TokensOut),
                });
        }
    }

    // A checkpoint carries a row per step and one audit line per step; each kind goes in one statement, because every
    // statement costs a parse or a bind and an execute. PostgreSQL unnests arrays (one statement text whatever the
    // count, so it stays prepared); SQLite, which has no arrays, gets one VALUES list.
    private static void AddSteps(SqlBatch batch, DatabaseEngine engine, IReadOnlyList<StepRecord> steps)
    {
        if (steps.Count == 0)
        {
            return;
        }

        if (engine == DatabaseEngine.Sqlite)
        {
            batch.AddRows(
                "INSERT INTO workflow_steps (message_id, name, seq, result, completed_at, duration_ms) VALUES",
                "(@MessageId, @Name, @Seq, @Result, @CompletedAt, @DurationMs)",
                steps);
            return;
        }

        batch.Add(
            """
            INSERT INTO workflow_steps (message_id, name, seq, result, completed_at, duration_ms)
            SELECT * FROM unnest(@MessageIds, @Names, @Seqs, @Results, @CompletedAts, @DurationsMs)
            """,
            new
            {
                MessageIds = steps.Select(s => s.MessageId).ToArray(),
                Names = steps.Select(s => s.Name).ToArray(),
                Seqs = steps.Select(s => s.Seq).ToArray(),
                Results = steps.Select(s => s.Result).ToArray(),
                CompletedAts = steps.Select(s => s.CompletedAt.ToUniversalTime()).ToArray(),
                DurationsMs = steps.Select(s => s.DurationMs).ToArray(),
            });
    }

    private static void AddAudit(SqlBatch batch, DatabaseEngine engine, IReadOnlyList<AuditEntry> entries)
    {
        if (entries.Count == 0)
        {
            return;
        }

        if (engine == DatabaseEngine.Sqlite)
        {
            // Rows of one VALUES list get their ids in the list's order.
            batch.AddRows(
                "INSERT INTO audit_log (message_id, at, step, what, why, actor, model_version, policy_version, data) VALUES",
                "(@MessageId, @At, @Step, @What, @Why, @Actor, @ModelVersion, @PolicyVersion, @Data)",
                entries);
            return;
        }

        // WITH ORDINALITY keeps the entries' order in their ids, which is the audit trail's order.
        batch.Add(
            """
            INSERT INTO audit_log (message_id, at, step, what, why, actor, model_version, policy_version, data)
            SELECT message_id, at, step, what, why, actor, model_version, policy_version, data
            FROM unnest(@MessageIds, @Ats, @Steps, @Whats, @Whys, @Actors, @ModelVersions, @PolicyVersions, @Datas) WITH ORDINALITY
                AS entry (message_id, at, step, what, why, actor, model_version, policy_version, data, position)
            ORDER BY position
            """,
            new
            {
                MessageIds = entries.Select(e => e.MessageId).ToArray(),
                Ats = entries.Select(e => e.At.ToUniversalTime()).ToArray(),
                Steps = entries.Select(e => e.Step).ToArray(),
                Whats = entries.Select(e => e.What).ToArray(),
                Whys = entries.Select(e => e.Why).ToArray(),
                Actors = entries.Select(e => e.Actor).ToArray(),
                ModelVersions = entries.Select(e => e.ModelVersion).ToArray(),
                PolicyVersions = entries.Select(e => e.PolicyVersion).ToArray(),
                Datas = entries.Select(e => e.Data).ToArray(),
            });
    }

    private static void AddMessageUpdate(SqlBatch batch, Guid id, MessagePatch patch, DateTimeOffset now)
    {
        var sets = new List<string> { "updated_at = @now" };
        void Add(object? value, string column)
        {
            if (value is not null)
            {
                sets.Add($"{column} = @{column}");
            }
        }

        Add(patch.Status, "status");
        Add(patch.Intent, "intent");
        Add(patch.Urgency, "urgency");
        Add(patch.Owner, "owner");
        Add(patch.PolicyFlags, "policy_flags");
        Add(patch.Confidence, "confidence");
        Add(patch.Route, "route");
        Add(patch.Explanation, "explanation");
        Add(patch.FilterReason, "filter_reason");
        Add(patch.AutoSent, "auto_sent");
        batch.Add(
            $"UPDATE messages SET {string.Join(", ", sets)} WHERE id = @id",
            new
            {
                id,
                now,
                status = patch.Status,
                intent = patch.Intent,
                urgency = patch.Urgency,
                owner = patch.Owner,
                policy_flags = patch.PolicyFlags,
                confidence = patch.Confidence,
                route = patch.Route,
                explanation = patch.Explanation,
                filter_reason = patch.FilterReason,
                auto_sent = patch.AutoSent,
            });
    }

    private static string TransitionSql(Transition? transition)
    {
        const string Fence = "WHERE message_id = @id AND lease_token = @token AND state = 'running'";
        return transition?.Kind switch
        {
            null => $"UPDATE workflows SET updated_at = @now, next_run_at = @leaseUntil {Fence}",
            TransitionKind.Complete =>
                $"UPDATE workflows SET state = 'completed', completed_at = @now, updated_at = @now, next_run_at = @now, lease_owner = NULL, wait_event = NULL, wait_deadline = NULL, last_error = NULL {Fence}",
            // An event that arrived while the instance was running set wake: run again at once instead of sleeping.
            TransitionKind.Suspend =>
                $"""
                UPDATE workflows SET state = CASE WHEN wake THEN 'queued' ELSE 'waiting' END,
                    next_run_at = CASE WHEN wake THEN @now ELSE @waitUntil END,
                    wait_event = @waitEvent, wait_deadline = @waitDeadline, updated_at = @now, lease_owner = NULL,
                    attempt = 0
                {Fence}
                """,
            TransitionKind.Retry =>
                $"UPDATE workflows SET state = 'queued', attempt = @attempt, next_run_at = @nextRunAt, last_error = @error, updated_at = @now, lease_owner = NULL {Fence}",
            TransitionKind.Dead =>
                $"UPDATE workflows SET state = 'dead', attempt = @attempt, last_error = @error, updated_at = @now, next_run_at = @now, lease_owner = NULL {Fence}",
            _ => throw new ArgumentOutOfRangeException(nameof(transition)),
        };
    }
}

internal sealed record WorkflowHistory(
    string Mailbox,
    string Content,
    IReadOnlyDictionary<string, string> Steps,
    IReadOnlyDictionary<string, string> Events,
    IReadOnlyDictionary<string, SideEffectRecord> SideEffects)
{
    /// <summary>The message's owner on record when the history was loaded (a reviewer may have reassigned it since routing).</summary>
    public string? Owner { get; init; }

    private static readonly Dictionary<string, string> NoEntries = new(StringComparer.Ordinal);
    private static readonly Dictionary<string, SideEffectRecord> NoEffects = new(StringComparer.Ordinal);

    /// <summary>The history of an instance that has not run yet.</summary>
    public static WorkflowHistory New(string mailbox) => new(mailbox, string.Empty, NoEntries, NoEntries, NoEffects);
}

internal enum TransitionKind
{
    Complete,
    Suspend,
    Retry,
    Dead,
}

internal sealed record Transition(TransitionKind Kind)
{
    public string? WaitEvent { get; init; }

    public DateTimeOffset? WaitDeadline { get; init; }

    public DateTimeOffset? NextRunAt { get; init; }

    public int? Attempt { get; init; }

    public string? Error { get; init; }
}

internal sealed record Checkpoint(
    DateTimeOffset Now,
    DateTimeOffset LeaseUntil,
    IReadOnlyList<StepRecord> Steps,
    IReadOnlyList<AuditEntry> Audit,
    MessagePatch? Patch,
    DraftRow? Draft,
    IReadOnlyList<SideEffectRecord> SideEffects,
    Transition? Transition)
{
    public IReadOnlyList<ModelCallEntry> ModelCalls { get; init; } = [];
}
