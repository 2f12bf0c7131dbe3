using System.Data.Common;
using System.Reflection;
using Dapper;
using Microsoft.Extensions.Logging;

namespace Sift.Storage;

/// <summary>
/// Applies the numbered SQL scripts under Storage/Migrations/{sqlite|postgres} that the database has not seen,
/// each in its own transaction, recorded in schema_migrations. Several processes starting at once are safe:
/// PostgreSQL serializes each transaction with a transaction-scoped advisory lock, SQLite with its write lock.
/// </summary>
public sealed partial class Migrator(SiftDatabase database, TimeProvider time, ILogger<Migrator> logger)
{
    private const long AdvisoryLockKey = 0x5349_4654; // "SIFT"

    public async Task<int> MigrateAsync(CancellationToken cancellationToken)
    {
        var scripts = LoadScripts(database.Engine);
        await using var connection = await database.OpenAsync(cancellationToken);
        await using (var create = await BeginLockedAsync(connection, cancellationToken))
        {
            await connection.ExecuteAsync(new CommandDefinition(
                "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)",
                transaction: create.Transaction,
                cancellationToken: cancellationToken));
            await create.Transaction.CommitAsync(cancellationToken);
        }

        var applied = 0;
        foreach (var script in scripts)
        {
            await using var write = await BeginLockedAsync(connection, cancellationToken);
            var transaction = write.Transaction;
            var seen = await connection.ExecuteScalarAsync<int>(new CommandDefinition(
                "SELECT COUNT(*) FROM schema_migrations WHERE version = @Version", new { script.Version }, transaction, cancellationToken: cancellationToken));
            if (seen > 0)
            {
                continue;
            }

            await connection.ExecuteAsync(new CommandDefinition(script.Sql, transaction: transaction, cancellationToken: cancellationToken));
            await connection.ExecuteAsync(new CommandDefinition(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (@Version, @Name, @At)",
                new { script.Version, script.Name, At = DapperTypeHandlers.FormatInstant(time.GetUtcNow()) },
                transaction, cancellationToken: cancellationToken));
            await transaction.CommitAsync(cancellationToken);
            LogApplied(logger, script.Version, script.Name, database.Engine);
            applied++;
        }

        return applied;
    }

    /// <summary>
    /// A write transaction that holds the migration lock until it ends. On PostgreSQL the lock is transaction-scoped, so
    /// it can never stay on a pooled connection (Sift's connections are not reset when they go back to the pool).
    /// </summary>
    private async Task<WriteTransaction> BeginLockedAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        var write = await database.BeginWriteAsync(connection, cancellationToken);
        if (database.Engine == DatabaseEngine.Postgres)
        {
            try
            {
                await connection.ExecuteAsync(new CommandDefinition("SELECT pg_advisory_xact_lock(@key)", new { key = AdvisoryLockKey }, write.Transaction, cancellationToken: cancellationToken));
            }
            catch
            {
                await write.DisposeAsync();
                throw;
            }
        }

        return write;
    }

    internal static IReadOnlyList<MigrationScript> LoadScripts(DatabaseEngine engine)
    {
        var assembly = typeof(Migrator).Assembly;
        var folder = engine == DatabaseEngine.Postgres ? ".postgres." : ".sqlite.";
        return assembly.GetManifestResourceNames()
            .Where(name => name.Contains(".Storage.Migrations" + folder, StringComparison.Ordinal) && name.EndsWith(".sql", StringComparison.Ordinal))
            .Select(name => Read(assembly, name))
            .OrderBy(script => script.Version)
            .ToList();
    }

    private static MigrationScript Read(Assembly assembly, string resourceName)
    {
        // Resource names look like Sift.Shared.Storage.Migrations.postgres._0001_initial.sql.
        var file = resourceName.Split('.')[^2].TrimStart('_');
        var version = int.Parse(file.AsSpan(0, file.IndexOf('_', StringComparison.Ordinal)), System.Globalization.CultureInfo.InvariantCulture);
        using var stream = assembly.GetManifestResourceStream(resourceName)!;
        using var reader = new StreamReader(stream);
        return new MigrationScript(version, file, reader.ReadToEnd());
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Applied migration {Version} ({Name}) on {Engine}")]
    private static partial void LogApplied(ILogger logger, int version, string name, DatabaseEngine engine);
}

internal sealed record MigrationScript(int Version, string Name, string Sql);
