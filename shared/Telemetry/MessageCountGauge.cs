using System.Diagnostics.Metrics;
using Dapper;
using Sift.Storage;

namespace Sift.Telemetry;

/// <summary>
/// The <c>sift.messages</c> gauge: messages by status, read from the database when a scraper asks (at most every few
/// seconds), so any replica, API or worker, reports the same numbers.
/// </summary>
public sealed class MessageCountGauge
{
    private static readonly TimeSpan MaxAge = TimeSpan.FromSeconds(5);
    private readonly SiftDatabase _database;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private IReadOnlyList<(string Status, long Count)> _counts = [];
    private DateTimeOffset _readAt = DateTimeOffset.MinValue;

    public MessageCountGauge(SiftDatabase database, TimeProvider time)
    {
        _database = database;
        _time = time;
        Gauge = SiftTelemetry.Meter.CreateObservableGauge("sift.messages", Observe, description: "Messages by status");
    }

    public ObservableGauge<long> Gauge { get; }

    internal IEnumerable<Measurement<long>> Observe()
    {
        lock (_gate)
        {
            if (_time.GetUtcNow() - _readAt > MaxAge)
            {
                try
                {
                    // Observable instruments are synchronous; this runs on the scrape, not on a request path.
                    using var connection = _database.OpenAsync(CancellationToken.None).AsTask().GetAwaiter().GetResult();
                    _counts = connection.Query<(string Status, long Count)>("SELECT status, COUNT(*) FROM messages GROUP BY status").AsList();
                    _readAt = _time.GetUtcNow();
                }
                catch (System.Data.Common.DbException)
                {
                    // The database is down: report nothing rather than stale numbers; /readyz says why.
                    _counts = [];
                }
            }

            return _counts.Select(c => new Measurement<long>(c.Count, new KeyValuePair<string, object?>(SiftTelemetry.StatusTag, c.Status))).ToList();
        }
    }
}
