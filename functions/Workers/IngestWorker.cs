using Sift.Ingestion;

namespace Sift.Workers;

/// <summary>
/// The ingest queue's consumer: claims due jobs (notifications the webhooks persisted, catch-ups) and runs each with its
/// source's <see cref="IIngestHandler"/>, several at once. A failure is retried with backoff and ends dead with its error;
/// a job whose worker dies is due again when its lease runs out.
/// </summary>
internal sealed partial class IngestWorker(
    IngestJobs queue,
    IngestSignal signal,
    IEnumerable<IIngestHandler> handlers,
    IConfiguration configuration,
    ILogger<IngestWorker> logger) : BackgroundService
{
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public static TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(2);

    public static TimeSpan Retention { get; set; } = TimeSpan.FromDays(3);

    private const int BatchSize = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.IsWorker())
        {
            return;
        }

        var bySource = handlers.ToDictionary(h => h.Source, StringComparer.Ordinal);
        var nextPurge = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var jobs = await queue.ClaimAsync(BatchSize, Lease, stoppingToken);
                if (jobs.Count > 0)
                {
                    await Task.WhenAll(jobs.Select(job => RunAsync(job, bySource, stoppingToken)));
                    continue;
                }

                if (TimeProvider.System.GetUtcNow() > nextPurge)
                {
                    await queue.PurgeAsync(Retention, stoppingToken);
                    nextPurge = TimeProvider.System.GetUtcNow().AddHours(1);
                }

                await signal.WaitAsync(PollInterval, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database is down, say: the jobs stay queued; try again after a pause.
                LogLoopFailed(logger, ex);
                await Task.Delay(PollInterval * 5, stoppingToken);
            }
        }
    }

    private async Task RunAsync(IngestJob job, Dictionary<string, IIngestHandler> bySource, CancellationToken stoppingToken)
    {
        if (!bySource.TryGetValue(job.Source, out var handler))
        {
            await queue.FailAsync(job, $"No ingest handler for source '{job.Source}' is configured in this process.", permanent: false, retryAfter: null, stoppingToken);
            return;
        }

        try
        {
            await handler.HandleAsync(job, stoppingToken);
            await queue.CompleteAsync(job, stoppingToken);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and the job is due again.
        }
        catch (Exception ex)
        {
            var permanent = ex is IngestPermanentException;
            var retryAfter = (ex as IngestRetryException)?.RetryAfter;
            var dead = await queue.FailAsync(job, ex.Message, permanent, retryAfter, stoppingToken);
            LogJobFailed(logger, ex, job.Source, job.Kind, job.Id, job.Attempt, dead);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The ingest loop failed; retrying shortly")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest job {Source}/{Kind} {JobId} failed on attempt {Attempt} (dead: {Dead})")]
    private static partial void LogJobFailed(ILogger logger, Exception exception, string source, string kind, Guid jobId, int attempt, bool dead);
}
