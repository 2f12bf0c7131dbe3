using Microsoft.Extensions.Options;
using Sift.Engine;
using Sift.Queue;

namespace Sift.Workers;

/// <summary>
/// The queue consumer: claims due workflow instances and runs up to <see cref="WorkflowOptions.Concurrency"/> at once.
/// Any number of these, in any number of processes, share one database safely.
/// </summary>
internal sealed partial class WorkflowWorker(WorkflowRunner runner, WorkSignal signal, IOptions<WorkflowOptions> options, IConfiguration configuration, ILogger<WorkflowWorker> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.IsWorker())
        {
            return;
        }

        var concurrency = options.Value.Concurrency;
        var inFlight = new HashSet<Task>();
        LogStarted(logger, runner.WorkerId, concurrency);
        while (!stoppingToken.IsCancellationRequested)
        {
            inFlight.RemoveWhere(t => t.IsCompleted);
            if (inFlight.Count >= concurrency)
            {
                await Task.WhenAny(inFlight);
                continue;
            }

            IReadOnlyList<WorkflowClaim> claims;
            try
            {
                claims = await runner.ClaimAsync(concurrency - inFlight.Count, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
            catch (Exception ex)
            {
                LogClaimFailed(logger, ex);
                claims = [];
            }

            foreach (var claim in claims)
            {
                inFlight.Add(Task.Run(() => runner.RunAsync(claim, stoppingToken), CancellationToken.None));
            }

            if (claims.Count == 0)
            {
                try
                {
                    await signal.WaitAsync(options.Value.PollInterval, stoppingToken);
                }
                catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
                {
                    break;
                }
            }
        }

        await Task.WhenAll(inFlight);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Workflow worker {WorkerId} started, running up to {Concurrency} instances at once")]
    private static partial void LogStarted(ILogger logger, string workerId, int concurrency);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not claim work; retrying at the next poll")]
    private static partial void LogClaimFailed(ILogger logger, Exception exception);
}
