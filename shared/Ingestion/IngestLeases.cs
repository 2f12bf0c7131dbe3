using Dapper;
using Sift.Storage;

namespace Sift.Ingestion;

/// <summary>
/// Work that one process at a time must do (an IMAP account's listener, the Graph subscription manager, the Gmail watch):
/// a row per task in <c>ingest_leases</c> names the holder and when its claim runs out. The holder renews it; another
/// worker takes it over only once it has run out (the holder died or lost the database). Works the same on SQLite and PostgreSQL.
/// </summary>
public sealed class IngestLeases(SiftDatabase database, TimeProvider time)
{
    /// <summary>A holder name unique to one listener or service of one process: the host, the process and a random part.</summary>
    public static string NewOwner() => $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>Takes or renews the lease. False when another process holds it.</summary>
    public async Task<bool> TryAcquireAsync(string name, string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var taken = await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO ingest_leases (name, owner, expires_at) VALUES (@name, @owner, @until)
            ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE ingest_leases.owner = excluded.owner OR ingest_leases.expires_at < @now
            """,
            new { name, owner, until = now + duration, now },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
        return taken == 1;
    }

    /// <summary>Gives the lease up on shutdown, so that another worker need not wait for it to run out.</summary>
    public async Task ReleaseAsync(string name, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM ingest_leases WHERE name = @name AND owner = @owner",
            new { name, owner },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }
}
