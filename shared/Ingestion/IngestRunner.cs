using Microsoft.Extensions.Logging;

namespace Sift.Ingestion;

/// <summary>
/// Runs due ingest jobs with their source's <see cref="IIngestHandler"/>. A failure is retried with backoff and ends dead
/// with its error; a job whose process dies is due again when its lease runs out.
/// </summary>
public sealed partial class IngestRunner(IngestJobs jobs, IEnumerable<IIngestHandler> handlers, ILogger<IngestRunner> logger)
{
    private readonly Dictionary<string, IIngestHandler> _bySource = handlers.ToDictionary(h => h.Source, StringComparer.Ordinal);

    /// <summary>How long a claimed job is held: longer than the longest job (a Gmail resync of 500 messages, a long delta round).</summary>
    public static TimeSpan Lease { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Claims up to <paramref name="batchSize"/> due jobs and runs them concurrently. Returns how many were claimed.</summary>
    public async Task<int> RunDueAsync(int batchSize, CancellationToken cancellationToken)
    {
        var due = await jobs.ClaimAsync(batchSize, Lease, cancellationToken);
        await Task.WhenAll(due.Select(job => RunAsync(job, cancellationToken)));
        return due.Count;
    }

    /// <summary>Runs due jobs until none is left (tests and the CLI).</summary>
    public async Task<int> DrainAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        int claimed;
        while ((claimed = await RunDueAsync(8, cancellationToken)) > 0)
        {
            total += claimed;
        }

        return total;
    }

    private async Task RunAsync(IngestJob job, CancellationToken cancellationToken)
    {
        if (!_bySource.TryGetValue(job.Source, out var handler))
        {
            await jobs.FailAsync(job, $"No ingest handler for source '{job.Source}' is configured in this process.", permanent: false, retryAfter: null, cancellationToken);
            return;
        }

        try
        {
            await handler.HandleAsync(job, cancellationToken);
            await jobs.CompleteAsync(job, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Shutting down: the lease runs out and the job is due again.
        }
        catch (Exception ex)
        {
            var permanent = ex is IngestPermanentException;
            var retryAfter = (ex as IngestRetryException)?.RetryAfter;
            var dead = await jobs.FailAsync(job, ex.Message, permanent, retryAfter, CancellationToken.None);
            LogJobFailed(logger, ex, job.Source, job.Kind, job.Id, job.Attempt, dead);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Ingest job {Source}/{Kind} {JobId} failed on attempt {Attempt} (dead: {Dead})")]
    private static partial void LogJobFailed(ILogger logger, Exception exception, string source, string kind, Guid jobId, int attempt, bool dead);
}
