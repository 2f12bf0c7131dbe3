using Microsoft.Extensions.Options;
using Sift.Engine;
using Sift.Ingestion;
using Sift.Queue;

namespace Sift.Workers;

/// <summary>
/// The queue consumer: runs up to <see cref="WorkflowOptions.Concurrency"/> workflow instances at once, taking them from
/// this process's intake (<see cref="LocalDispatch"/>) or claiming due ones from the database. Any number of these, in any
/// number of processes, share one database safely.
/// </summary>
internal sealed partial class WorkflowWorker(
    WorkflowRunner runner,
    WorkSignal signal,
    LocalDispatch dispatch,
    IOptions<WorkflowOptions> options,
    IConfiguration configuration,
    ILogger<WorkflowWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.IsWorker())
        {
            return;
        }

        var concurrency = options.Value.Concurrency;
        using var slots = new SemaphoreSlim(concurrency, concurrency);
        var running = new HashSet<Task>();
        dispatch.Attach(runner.WorkerId, options.Value.LeaseDuration, slots);
        LogStarted(logger, runner.WorkerId, concurrency);
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                running.RemoveWhere(t => t.IsCompleted);
                var started = 0;
                while (dispatch.Dispatched.TryRead(out var dispatched))
                {
                    // The intake took the slot and inserted the instance leased to this worker with the first token.
                    running.Add(Run(new WorkflowClaim { MessageId = dispatched.Id, LeaseToken = 1, Attempt = 0 }, slots, stoppingToken, dispatched));
                    started++;
                }

                if (slots.CurrentCount > 0)
                {
                    foreach (var claim in await ClaimAsync(slots.CurrentCount, stoppingToken))
                    {
                        // Never wait for a slot here: the intake may have just taken them for instances this loop has
                        // yet to start. A claimed instance runs at once, over the limit by at most that race.
                        running.Add(Run(claim, slots.Wait(0, CancellationToken.None) ? slots : null, stoppingToken));
                        started++;
                    }
                }

                if (started == 0)
                {
                    // Woken by an arrival, a dispatch or a finished instance; else the poll finds what other processes queued.
                    await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            dispatch.Detach();
            await Task.WhenAll(running);
        }
    }

    private Task Run(WorkflowClaim claim, SemaphoreSlim? slot, CancellationToken stoppingToken, DispatchedMessage? dispatched = null) => Task.Run(
        async () =>
        {
            try
            {
                await runner.RunAsync(claim, stoppingToken, dispatched);
            }
            finally
            {
                slot?.Release();
                signal.Notify();
            }
        },
        CancellationToken.None);

    private async Task<IReadOnlyList<WorkflowClaim>> ClaimAsync(int limit, CancellationToken stoppingToken)
    {
        try
        {
            return await runner.ClaimAsync(limit, stoppingToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogClaimFailed(logger, ex);
            return [];
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workflow worker {WorkerId} started, running up to {Concurrency} instances at once")]
    private static partial void LogStarted(ILogger logger, string workerId, int concurrency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim work; retrying at the next poll")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);
}
