using Dapper;
using Sift.Ingestion;
using Sift.Storage;

namespace Sift.Workers;

/// <summary>
/// The timer consumer that keeps the <c>metrics</c> table (one row per day and intent) current. It recomputes from the messages, so it never contends with the workflow's writes on a hot row.
/// </summary>
internal sealed partial class MetricsRollup(SiftDatabase database, TimeProvider time, IConfiguration configuration, ILogger<MetricsRollup> logger) : BackgroundService
{
    public static TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (!configuration.IsWorker())
        {
            return;
        }

        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await RollUpAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogFailed(logger, ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    /// <summary>Recomputes yesterday's and today's rows: a message from yesterday may be decided after midnight.</summary>
    internal async Task RollUpAsync(CancellationToken cancellationToken)
    {
        var today = new DateTimeOffset(time.GetUtcNow().UtcDateTime.Date, TimeSpan.Zero);
        await RollUpDayAsync(today.AddDays(-1), cancellationToken);
        await RollUpDayAsync(today, cancellationToken);
    }

    private async Task RollUpDayAsync(DateTimeOffset dayStart, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);

        var rows = await connection.QueryAsync<DayRow>(new CommandDefinition(
            """
            SELECT m.intent AS Intent, m.auto_sent AS AutoSent, m.cost_usd AS CostUsd, m.created_at AS CreatedAt,
                   w.completed_at AS CompletedAt, d.decision AS Decision
            FROM messages m JOIN workflows w ON w.message_id = m.id LEFT JOIN drafts d ON d.message_id = m.id
            WHERE m.created_at >= @dayStart AND m.created_at < @dayEnd AND m.intent IS NOT NULL
            """,
            new { dayStart, dayEnd = dayStart.AddDays(1) },
            cancellationToken: cancellationToken));

        var date = DapperTypeHandlers.FormatInstant(dayStart)[..10];
        var upsert = database.Engine == DatabaseEngine.Postgres ? Upsert.Replace("@date", "CAST(@date AS date)", StringComparison.Ordinal) : Upsert;
        foreach (var group in rows.GroupBy(r => r.Intent))
        {
            var decided = group.Where(r => r.Decision is not null).ToList();
            var completed = group.Where(r => r.CompletedAt is not null).ToList();
            await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
                upsert,
                new
                {
                    date,
                    intent = group.Key,
                    messages = group.Count(),
                    autoRate = Rate(group.Count(r => r.AutoSent), group.Count()),
                    approveRate = Rate(decided.Count(r => r.Decision == "approve"), decided.Count),
                    revertRate = Rate(decided.Count(r => r.Decision != "approve"), decided.Count),
                    avgLatency = completed.Count == 0 ? 0 : completed.Average(r => (r.CompletedAt!.Value - r.CreatedAt).TotalMilliseconds),
                    cost = group.Sum(r => r.CostUsd),
                },
                transaction,
                cancellationToken: cancellationToken)), cancellationToken);
        }
    }

    private const string Upsert = """
        INSERT INTO metrics (date, intent, messages, auto_rate, approve_rate, revert_rate, avg_latency_ms, cost_usd)
        VALUES (@date, @intent, @messages, @autoRate, @approveRate, @revertRate, @avgLatency, @cost)
        ON CONFLICT (date, intent) DO UPDATE SET messages = excluded.messages, auto_rate = excluded.auto_rate,
            approve_rate = excluded.approve_rate, revert_rate = excluded.revert_rate,
            avg_latency_ms = excluded.avg_latency_ms, cost_usd = excluded.cost_usd
        """;

    private static double Rate(int part, int whole) => whole == 0 ? 0 : (double)part / whole;

    [LoggerMessage(Level = LogLevel.Warning, Message = "Metrics roll-up failed; it runs again at the next tick")]
    private static partial void LogFailed(ILogger logger, Exception exception);

    private sealed class DayRow
    {
        public string Intent { get; set; } = string.Empty;

        public bool AutoSent { get; set; }

        public decimal CostUsd { get; set; }

        public DateTimeOffset CreatedAt { get; set; }

        public DateTimeOffset? CompletedAt { get; set; }

        public string? Decision { get; set; }
    }
}
