using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sift.Queue;

namespace Sift.Ingestion.Imap;

/// <summary>Runs the listeners of the configured accounts while this process plays the worker role.</summary>
internal sealed class ImapIngestion(
    IOptions<ImapOptions> options,
    IConfiguration configuration,
    IServiceProvider services,
    ILoggerFactory loggers) : BackgroundService
{
    protected override Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var settings = options.Value;
        if (settings.Accounts.Count == 0 || !configuration.IsWorker())
        {
            return Task.CompletedTask;
        }

        // Unique per process: a restarted process must not renew the lease of the one it replaces.
        var owner = IngestLeases.NewOwner();
        var logger = loggers.CreateLogger<ImapListener>();
        var listeners = settings.Accounts.Select(account => new ImapListener(
            account,
            settings,
            owner,
            services.GetRequiredService<MessageIntake>(),
            services.GetRequiredService<IngestJobs>(),
            services.GetRequiredService<IngestCursors>(),
            services.GetRequiredService<IngestLeases>(),
            services.GetRequiredService<ImapStatusBoard>(),
            services.GetRequiredService<TimeProvider>(),
            logger));
        return Task.WhenAll(listeners.Select(listener => Task.Run(() => listener.RunAsync(stoppingToken), stoppingToken)));
    }
}
