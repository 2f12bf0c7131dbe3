using Dapper;
using Sift.Storage;

namespace Sift.Ingestion.Imap;

/// <summary>
/// One process at a time listens to an account: a row per account in <c>imap_leases</c> names the holder and when its
/// claim runs out. The holder renews it; another worker takes it over only once it has run out (the holder died or lost
/// the database). Works the same on SQLite and PostgreSQL.
/// </summary>
internal sealed class ImapLeases(SiftDatabase database, TimeProvider time)
{
    /// <summary>Takes or renews the lease. False when another process holds it.</summary>
    public async Task<bool> TryAcquireAsync(string account, string owner, TimeSpan duration, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        await using var connection = await database.OpenAsync(cancellationToken);
        var taken = await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO imap_leases (account, owner, expires_at) VALUES (@account, @owner, @until)
            ON CONFLICT (account) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
            WHERE imap_leases.owner = excluded.owner OR imap_leases.expires_at < @now
            """,
            new { account, owner, until = now + duration, now },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
        return taken == 1;
    }

    /// <summary>Gives the lease up on shutdown, so that another worker need not wait for it to run out.</summary>
    public async Task ReleaseAsync(string account, string owner, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM imap_leases WHERE account = @account AND owner = @owner",
            new { account, owner },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }
}
