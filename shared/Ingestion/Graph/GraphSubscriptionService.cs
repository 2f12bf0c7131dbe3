using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sift.Ingestion.Graph;

/// <summary>
/// Worker role: keeps the subscriptions alive (created at start, renewed before expiry) and queues a delta catch-up per
/// mailbox at start, after a subscription had to be created, and every <see cref="GraphOptions.DeltaInterval"/>.
/// With several worker processes, one at a time does it: the holder of the <c>graph:subscriptions</c> lease; the others
/// check every interval whether it is still held, and take over when its holder stopped renewing it.
/// </summary>
internal sealed partial class GraphSubscriptionService(
    GraphSubscriptionManager manager,
    IngestJobs jobs,
    IngestLeases leases,
    IOptions<GraphOptions> options,
    IConfiguration configuration,
    TimeProvider time,
    ILogger<GraphSubscriptionService> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var graph = options.Value;
        if (!graph.Enabled || !configuration.IsWorker())
        {
            return;
        }

        var interval = graph.CheckInterval < graph.DeltaInterval ? graph.CheckInterval : graph.DeltaInterval;
        var owner = IngestLeases.NewOwner();
        try
        {
            await RunAsync(graph, interval, owner, stoppingToken);
        }
        finally
        {
            try
            {
                await leases.ReleaseAsync(LeaseName, owner, CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogLoopFailed(logger, ex);
            }
        }
    }

    public const string LeaseName = "graph:subscriptions";

    private async Task RunAsync(GraphOptions graph, TimeSpan interval, string owner, CancellationToken stoppingToken)
    {
        var nextDelta = DateTimeOffset.MinValue;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await leases.TryAcquireAsync(LeaseName, owner, interval * 3, stoppingToken))
                {
                    // Another worker manages the subscriptions; look again after an interval.
                    await Task.Delay(interval, time, stoppingToken);
                    continue;
                }

                var created = await manager.EnsureAllAsync(stoppingToken);
                var due = time.GetUtcNow() >= nextDelta;
                foreach (var mailbox in due ? graph.Mailboxes.Where(m => !string.IsNullOrWhiteSpace(m)) : created)
                {
                    await jobs.EnqueueAsync(new IngestJobRequest(GraphJobs.Source, GraphJobs.CatchUp, mailbox, CatchUpPayload(due ? "interval" : "created")), stoppingToken);
                }

                if (due)
                {
                    nextDelta = time.GetUtcNow() + graph.DeltaInterval;
                }

                await Task.Delay(interval, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogLoopFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(30), time, stoppingToken);
            }
        }
    }

    internal static string CatchUpPayload(string reason) =>
        System.Text.Json.JsonSerializer.Serialize(new GraphCatchUpJob(1, reason), GraphJsonContext.Default.GraphCatchUpJob);

    [LoggerMessage(Level = LogLevel.Error, Message = "The Graph subscription loop failed; retrying shortly")]
    private static partial void LogLoopFailed(ILogger logger, Exception exception);
}
