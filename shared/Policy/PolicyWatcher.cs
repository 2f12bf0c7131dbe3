using System.Text.Json;
using Dapper;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sift.Storage;

namespace Sift.Policy;

/// <summary>
/// Records the running policy version in the audit log when the host starts, then checks the file for a new version
/// every <see cref="PolicyOptions.ReloadInterval"/>: a valid one replaces the running policy, an invalid one is refused;
/// both are recorded in the audit log (step <c>policy-load</c> or <c>policy-rejected</c>).
/// </summary>
public sealed partial class PolicyWatcher(
    PolicyStore store, SiftDatabase database, IOptionsMonitor<PolicyOptions> options, TimeProvider time, ILogger<PolicyWatcher> logger)
    : BackgroundService
{
    private static readonly string Actor = $"sift@{Environment.MachineName}:{Environment.ProcessId}";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var pending = new Queue<AuditEntry>();
        pending.Enqueue(Loaded(store.Current, previous: null));
        string? lastRefused = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            PolicyChange? change;
            try
            {
                change = store.ReloadIfChanged();
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Whatever went wrong reading the new file, the running policy stays and the watcher keeps watching.
                LogReloadFailed(logger, store.File, ex);
                change = null;
            }

            if (change is not null)
            {
                if (change.Loaded is { } loaded)
                {
                    lastRefused = null;
                    pending.Enqueue(Loaded(loaded, change.Previous));
                }
                else if (change.Version != lastRefused)
                {
                    lastRefused = change.Version;
                    LogRefused(logger, change.Version, store.File, change.Previous.Version, string.Join("; ", change.Problems));
                    pending.Enqueue(new AuditEntry(
                        "policy-rejected",
                        $"policy {change.Version} refused: {change.Problems.Length} problem(s)",
                        $"{store.File} is invalid; {change.Previous.Version} keeps running",
                        change.Version,
                        JsonSerializer.Serialize(change.Problems.ToList(), PolicyJsonContext.Default.ListPolicyProblem)));
                }
            }

            await FlushAsync(pending, stoppingToken);
            try
            {
                await Task.Delay(options.CurrentValue.ReloadInterval, time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private AuditEntry Loaded(LoadedPolicy policy, LoadedPolicy? previous) => new(
        "policy-load",
        $"policy {policy.Version} loaded",
        previous is null ? $"{store.File}, at start" : $"{store.File} changed; replaces {previous.Version}",
        policy.Version,
        null);

    /// <summary>Writes what is pending; a database not reachable yet keeps it for the next round.</summary>
    private async Task FlushAsync(Queue<AuditEntry> pending, CancellationToken cancellationToken)
    {
        while (pending.TryPeek(out var entry))
        {
            try
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                await database.WriteAsync(connection, tx => connection.ExecuteAsync(new CommandDefinition(
                    "INSERT INTO audit_log (message_id, at, step, what, why, actor, policy_version, data) VALUES (NULL, @at, @Step, @What, @Why, @actor, @Version, @Data)",
                    new { at = time.GetUtcNow(), entry.Step, entry.What, entry.Why, actor = Actor, entry.Version, entry.Data },
                    tx,
                    cancellationToken: cancellationToken)), cancellationToken);
                pending.Dequeue();
            }
            catch (Exception ex) when (ex is System.Data.Common.DbException or InvalidOperationException)
            {
                LogAuditDeferred(logger, ex.Message);
                return;
            }
        }
    }

    private sealed record AuditEntry(string Step, string What, string Why, string Version, string? Data);

    [LoggerMessage(Level = LogLevel.Error, Message = "Policy {Version} in {File} was refused; {Running} keeps running. Problems: {Problems}")]
    private static partial void LogRefused(ILogger logger, string version, string file, string running, string problems);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the policy {File} again failed; the running policy stays")]
    private static partial void LogReloadFailed(ILogger logger, string file, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The policy audit entry waits for the database: {Reason}")]
    private static partial void LogAuditDeferred(ILogger logger, string reason);
}
