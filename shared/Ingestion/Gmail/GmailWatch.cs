using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sift.Ingestion.Gmail;

/// <summary>
/// Keeps each mailbox's <c>users.watch</c> alive: Gmail stops publishing after 7 days, so the watch is renewed at start
/// and every <see cref="GmailOptions.WatchInterval"/> (daily by default; renewing is idempotent). The first response's
/// history id becomes the mailbox's cursor when it has none; the expiry is kept beside it.
/// </summary>
internal sealed partial class GmailWatch(GmailApi gmail, IngestCursors cursors, IOptions<GmailOptions> options, ILogger<GmailWatch> logger)
{
    /// <summary>Renews every mailbox's watch; returns how many succeeded (one failing does not stop the others).</summary>
    public async Task<int> RenewAllAsync(CancellationToken cancellationToken)
    {
        var settings = options.Value;
        var renewed = 0;
        foreach (var mailbox in settings.Mailboxes.Where(m => !string.IsNullOrWhiteSpace(m)).Select(m => m.Trim()))
        {
            try
            {
                var watch = await gmail.WatchAsync(mailbox, settings.Topic!, cancellationToken);
                if (await cursors.GetAsync(GmailJobs.Source, mailbox, cancellationToken) is null)
                {
                    await cursors.SetAsync(GmailJobs.Source, mailbox, watch.HistoryId.ToString(CultureInfo.InvariantCulture), cancellationToken);
                }

                await cursors.SetAsync(GmailJobs.WatchSource, mailbox, watch.Expiration.ToString(CultureInfo.InvariantCulture), cancellationToken);
                LogRenewed(logger, mailbox, watch.Expiration);
                renewed++;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LogFailed(logger, ex, mailbox);
            }
        }

        return renewed;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Gmail watch for {Mailbox} renewed until {ExpirationMs} (epoch ms)")]
    private static partial void LogRenewed(ILogger logger, string mailbox, long expirationMs);

    [LoggerMessage(Level = LogLevel.Error, Message = "Gmail watch for {Mailbox} could not be renewed; trying again shortly")]
    private static partial void LogFailed(ILogger logger, Exception exception, string mailbox);
}

/// <summary>
/// Runs <see cref="GmailWatch"/> in worker processes, when Gmail ingestion has credentials and a topic: in one process at a
/// time, the holder of the <c>gmail:watch</c> lease; the others look every few minutes whether its holder stopped.
/// </summary>
internal sealed class GmailWatchService(GmailWatch watch, IngestLeases leases, IOptions<GmailOptions> options, IConfiguration configuration, TimeProvider time) : BackgroundService
{
    /// <summary>After a failed renewal, the next try comes sooner than the full interval.</summary>
    private static readonly TimeSpan RetryInterval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (!configuration.IsWorker() || !settings.Enabled || string.IsNullOrWhiteSpace(settings.Topic) || string.IsNullOrWhiteSpace(settings.CredentialsFile))
        {
            return;
        }

        var mailboxes = settings.Mailboxes.Count(m => !string.IsNullOrWhiteSpace(m));
        var owner = IngestLeases.NewOwner();
        var check = settings.WatchInterval < RetryInterval ? settings.WatchInterval : RetryInterval;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                var wait = check;
                if (await TryLeaseAsync(owner, settings.WatchInterval * 2, stoppingToken))
                {
                    var renewed = await watch.RenewAllAsync(stoppingToken);
                    wait = renewed == mailboxes ? settings.WatchInterval : check;
                }

                await Task.Delay(wait, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            await leases.ReleaseAsync(LeaseName, owner, CancellationToken.None).ConfigureAwait(false);
        }
    }

    public const string LeaseName = "gmail:watch";

    private async Task<bool> TryLeaseAsync(string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        try
        {
            return await leases.TryAcquireAsync(LeaseName, owner, duration, cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The database is out of reach: renew anyway (watch is idempotent) rather than let the watch lapse.
            return true;
        }
    }
}
