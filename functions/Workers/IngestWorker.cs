using Sift.Ingestion;

namespace Sift.Workers;

/// <summary>The ingest queue's consumer: runs the jobs the webhooks and listeners persisted, a few at a time.</summary>
internal sealed partial class IngestWorker(
    IngestRunner runner,
    IngestJobs jobs,
    IngestSignal signal,
    TimeProvider time,
    IConfiguration configuration,
    ILogger<IngestWorker> logger) : BackgroundService
{
    public static TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    public static TimeSpan Retention { get; set; } = TimeSpan.FromDays(3);

    public static TimeSpan FailedRetention { get; set; } = TimeSpan.FromDays(30);

    private const int BatchSize = 4;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.IsWorker())
        {
            return;
        }

        var nextPurge = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                // Hourly, busy or not.
                if (time.GetUtcNow() > nextPurge)
                {
                    await jobs.PurgeAsync(Retention, FailedRetention, stoppingToken);
                    nextPurge = time.GetUtcNow().AddHours(1);
                }

                if (await runner.RunDueAsync(BatchSize, stoppingToken) > 0)
                {
                    continue;
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
                await Task.Delay(PollInterval * 5, time, stoppingToken);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The ingest loop failed; retrying shortly")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
