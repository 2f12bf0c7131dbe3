using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sift.Mail;
using Sift.Queue;
using Sift.Storage;
using Sift.Telemetry;
using Sift.Templates;
using Sift.Triage;

namespace Sift.Engine;

/// <summary>
/// Claims due workflow instances and runs one episode of each: replay from history, run until the workflow completes,
/// waits or fails, and commit the outcome under the lease. Failures are retried with exponential backoff, then
/// dead-lettered with their error.
/// </summary>
internal sealed partial class WorkflowRunner(
    WorkflowStore store,
    TriageWorkflow workflow,
    TimeProvider time,
    IOptions<WorkflowOptions> options,
    ILogger<WorkflowRunner> logger)
{
    private readonly WorkflowOptions _options = options.Value;

    /// <summary>This process's identity in leases and audit entries.</summary>
    public string WorkerId { get; } = $"worker:{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid().ToString("N")[..8]}";

    public WorkflowOptions Options => _options;

    internal async Task<IReadOnlyList<WorkflowClaim>> ClaimAsync(int limit, CancellationToken cancellationToken)
    {
        var started = Stopwatch.GetTimestamp();
        var now = time.GetUtcNow();
        var claims = await store.ClaimAsync(WorkerId, limit, now, now + _options.LeaseDuration, cancellationToken);
        if (claims.Count > 0)
        {
            // Recorded only when it found work, so idle polling does not flood the traces.
            using var activity = SiftTelemetry.Source.StartActivity("claim");
            activity?.SetStartTime(activity.StartTimeUtc - Stopwatch.GetElapsedTime(started));
            activity?.SetTag("sift.claimed", claims.Count);
        }

        return claims;
    }

    /// <summary>Claims and runs due instances one after another until none is due; returns how many episodes ran.</summary>
    public async Task<int> RunDueAsync(CancellationToken cancellationToken)
    {
        var episodes = 0;
        while (true)
        {
            var claims = await ClaimAsync(_options.Concurrency, cancellationToken);
            if (claims.Count == 0)
            {
                return episodes;
            }

            foreach (var claim in claims)
            {
                await RunAsync(claim, cancellationToken);
                episodes++;
            }
        }
    }

    /// <summary>
    /// Runs one episode of a claimed instance. <paramref name="dispatched"/> is a message this process just ingested and
    /// inserted leased to this worker: a new instance has no history, so nothing needs loading.
    /// </summary>
    internal async Task RunAsync(WorkflowClaim claim, CancellationToken cancellationToken, DispatchedMessage? dispatched = null)
    {
        var started = Stopwatch.GetTimestamp();
        using var activity = SiftTelemetry.Source.StartActivity("workflow triage");
        activity?.SetTag(SiftTelemetry.MessageIdTag, claim.MessageId);
        activity?.SetTag("sift.attempt", claim.Attempt);
        activity?.SetTag("sift.worker", WorkerId);
        try
        {
            WorkflowHistory history;
            InboundMessage message;
            if (dispatched is not null && claim.LeaseToken == 1)
            {
                history = WorkflowHistory.New(dispatched.Mailbox);
                message = dispatched.Message;
            }
            else
            {
                var loaded = await store.LoadAsync(claim.MessageId, cancellationToken);
                if (loaded is null)
                {
                    LogMissing(logger, claim.MessageId);
                    return;
                }

                history = loaded;
                if (claim.Attempt >= _options.MaxAttempts)
                {
                    await DeadLetterAsync(claim, $"gave up after {claim.Attempt} attempts: the worker running it stopped each time");
                    return;
                }

                try
                {
                    message = JsonSerializer.Deserialize(history.Content, MailJsonContext.Default.InboundMessage)!;
                }
                catch (JsonException ex)
                {
                    // No retry can read it either (e.g. a release changed the stored shape): a dead letter says so at once.
                    await DeadLetterAsync(claim, $"the stored message cannot be read: {ex.Message}");
                    return;
                }
            }

            activity?.SetTag(SiftTelemetry.MailboxTag, history.Mailbox);
            var ctx = new WorkflowContext(store, claim, history, message, time, _options, WorkerId);
            using var episode = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var heartbeat = HeartbeatAsync(claim, episode);
            try
            {
                activity?.SetTag("sift.outcome", await RunEpisodeAsync(ctx, claim, episode.Token, cancellationToken));
            }
            finally
            {
                await episode.CancelAsync();
                await heartbeat;
            }
        }
        catch (LeaseLostException)
        {
            LogLeaseLost(logger, claim.MessageId);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The failure could not even be recorded (e.g. the database is down): the lease expires and the instance runs again.
            LogUnrecorded(logger, ex, claim.MessageId);
        }
        finally
        {
            SiftTelemetry.EpisodeDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds);
        }
    }

    /// <summary>
    /// Keeps the lease while the episode waits on slow I/O (a model, a transport), so that no other worker takes over a
    /// live instance. If the lease is lost anyway (the database was out of reach longer than the lease), the episode is
    /// cancelled: its writes would be refused.
    /// </summary>
    private async Task HeartbeatAsync(WorkflowClaim claim, CancellationTokenSource episode)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(1, _options.LeaseDuration.TotalMilliseconds / 3)), time);
        try
        {
            while (await timer.WaitForNextTickAsync(episode.Token))
            {
                var now = time.GetUtcNow();
                try
                {
                    await store.RenewAsync(claim, now, now + _options.LeaseDuration, episode.Token);
                }
                catch (LeaseLostException)
                {
                    await episode.CancelAsync();
                    return;
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    LogRenewFailed(logger, ex, claim.MessageId);
                }
            }
        }
        catch (OperationCanceledException)
        {
            // The episode ended.
        }
    }

    private async Task<string> RunEpisodeAsync(WorkflowContext ctx, WorkflowClaim claim, CancellationToken cancellationToken, CancellationToken stopping)
    {
        try
        {
            await workflow.RunAsync(ctx, cancellationToken);
            await ctx.CheckpointAsync("complete", cancellationToken, new Transition(TransitionKind.Complete));
            return WorkflowState.Completed;
        }
        catch (WorkflowSuspendedException suspended)
        {
            await ctx.CheckpointAsync("suspend", cancellationToken, new Transition(TransitionKind.Suspend)
            {
                WaitEvent = suspended.EventName,
                WaitDeadline = suspended.Deadline,
            });
            return WorkflowState.Waiting;
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // Shutting down: hand the instance back now rather than when the lease expires. Completed steps are kept.
            await ctx.CheckpointAsync("shutdown", CancellationToken.None, new Transition(TransitionKind.Retry)
            {
                Attempt = claim.Attempt,
                NextRunAt = ctx.Now,
                Error = "worker stopped",
            });
            return WorkflowState.Queued;
        }
        catch (Exception ex) when (ex is not LeaseLostException)
        {
            return await FailAsync(ctx, claim, ex);
        }
    }

    private async Task<string> FailAsync(WorkflowContext ctx, WorkflowClaim claim, Exception error)
    {
        var attempt = claim.Attempt + 1;
        var text = Truncate($"{error.GetType().Name}: {error.Message}", 2000);
        ctx.DiscardPending();
        SiftTelemetry.WorkflowFailures.Add(1);
        var permanent = error is PermanentWorkflowException or MissingSlotException;
        if (permanent || attempt >= _options.MaxAttempts)
        {
            LogDeadLettered(logger, error, ctx.MessageId, attempt);
            ctx.Update(new MessagePatch { Status = MessageStatus.DeadLettered });
            ctx.Audit("dead-letter", new AuditNote("dead-lettered", permanent ? $"permanent failure: {text}" : $"failed {attempt} times; last error: {text}"));
            await ctx.CheckpointAsync("dead-letter", CancellationToken.None, new Transition(TransitionKind.Dead) { Attempt = attempt, Error = text });
            return WorkflowState.Dead;
        }

        var delay = Backoff(attempt);
        if (error is Sift.Mail.Transports.TransportRetryException { RetryAfter: { } asked } && asked > delay)
        {
            // A throttled mail service said when to come back: sooner would only be refused again.
            delay = asked;
        }

        LogRetrying(logger, error, ctx.MessageId, attempt, delay);
        ctx.Audit("retry", new AuditNote($"attempt {attempt} failed; retrying in {delay.TotalSeconds:0.#} s", text));
        await ctx.CheckpointAsync("retry", CancellationToken.None, new Transition(TransitionKind.Retry)
        {
            Attempt = attempt,
            NextRunAt = ctx.Now + delay,
            Error = text,
        });
        return WorkflowState.Queued;
    }

    /// <summary>Dead-letters an instance that cannot even be loaded into a workflow context.</summary>
    private Task DeadLetterAsync(WorkflowClaim claim, string error)
    {
        LogDeadLettered(logger, new PermanentWorkflowException(error), claim.MessageId, claim.Attempt);
        SiftTelemetry.WorkflowFailures.Add(1);
        var now = time.GetUtcNow();
        return store.CommitAsync(claim, new Checkpoint(
            now,
            now,
            [],
            [new AuditEntry(claim.MessageId, now, "dead-letter", "dead-lettered", error, WorkerId)],
            new MessagePatch { Status = MessageStatus.DeadLettered },
            null,
            [],
            new Transition(TransitionKind.Dead) { Attempt = claim.Attempt, Error = error }), CancellationToken.None);
    }

    /// <summary>Exponential backoff with ±20% jitter, so that instances failing together do not retry together.</summary>
    internal TimeSpan Backoff(int attempt)
    {
        var exponential = _options.BaseRetryDelay.TotalMilliseconds * Math.Pow(2, attempt - 1);
        var capped = Math.Min(exponential, _options.MaxRetryDelay.TotalMilliseconds);
#pragma warning disable CA5394 // Jitter needs no cryptographic randomness.
        return TimeSpan.FromMilliseconds(capped * (0.8 + (0.4 * Random.Shared.NextDouble())));
#pragma warning restore CA5394
    }

    private static string Truncate(string text, int max) => text.Length <= max ? text : text[..max];

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not renew the lease on workflow {MessageId}; trying again at the next beat")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workflow {MessageId} has no message row")]
    private static partial void LogMissing(ILogger logger, Guid messageId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Lease on workflow {MessageId} was lost to another worker; its writes were refused")]
    private static partial void LogLeaseLost(ILogger logger, Guid messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Workflow {MessageId} failed and the failure could not be recorded; it runs again when its lease expires")]
    private static partial void LogUnrecorded(ILogger logger, Exception exception, Guid messageId);

    [LoggerMessage(Level = LogLevel.Error, Message = "Workflow {MessageId} dead-lettered after attempt {Attempt}")]
    private static partial void LogDeadLettered(ILogger logger, Exception exception, Guid messageId, int attempt);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Workflow {MessageId} attempt {Attempt} failed; retrying in {Delay}")]
    private static partial void LogRetrying(ILogger logger, Exception exception, Guid messageId, int attempt, TimeSpan delay);
}
