using System.Data.Common;
using Microsoft.Data.Sqlite;
using Npgsql;

namespace Sift.Storage;

public enum DatabaseEngine
{
    Sqlite,
    Postgres,
}

/// <summary>
/// The one database Sift runs on: SQLite in the embedded default, PostgreSQL in production.
/// The SQL each feature writes is portable between the two except where <see cref="Engine"/> says otherwise.
/// </summary>
public sealed class SiftDatabase : IAsyncDisposable
{
    private readonly NpgsqlDataSource? _postgres;
    private readonly string? _sqliteConnectionString;
    private readonly SemaphoreSlim _sqliteWriteGate = new(1, 1);

    private SiftDatabase(DatabaseEngine engine, NpgsqlDataSource? postgres, string? sqlite, string description)
    {
        Engine = engine;
        _postgres = postgres;
        _sqliteConnectionString = sqlite;
        Description = description;
        DapperTypeHandlers.EnsureRegistered();
    }

    public DatabaseEngine Engine { get; }

    /// <summary>Engine and location without credentials, for logs and the demo's banner.</summary>
    public string Description { get; }

    public static SiftDatabase ForPostgres(string connectionString)
    {
        var builder = Tuned(connectionString);
        var dataSource = new NpgsqlDataSourceBuilder(builder.ConnectionString).Build();
        return new SiftDatabase(DatabaseEngine.Postgres, dataSource, null, $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}");
    }

    /// <summary>
    /// Sift's defaults for its PostgreSQL connections; a setting the connection string names keeps its value.
    /// <list type="bullet">
    /// <item>
    /// The workflow runs the same few statements for every message: they are prepared once per connection, and each
    /// later run skips the server's parse and plan (a checkpoint went from about 4 ms to 3 ms at the median in the
    /// benchmark). Max Auto Prepare=0 turns this off, for a pooler without prepared statements.
    /// </item>
    /// <item>
    /// A connection going back to the pool is not reset: Sift leaves no session state on it (no SET, LISTEN, temporary
    /// table or session lock; the migrator's lock is transaction-scoped). The reset Npgsql would otherwise send with the
    /// next command is seven statements parsed and run on the server at every open, several times per message (one at a
    /// time, the median own time went from 4.5 to 4.0 ms in the benchmark).
    /// </item>
    /// </list>
    /// </summary>
    internal static NpgsqlConnectionStringBuilder Tuned(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var named = new DbConnectionStringBuilder { ConnectionString = connectionString }.Keys
            .Cast<string>()
            .Select(key => key.Replace(" ", string.Empty, StringComparison.Ordinal))
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        if (!named.Contains("MaxAutoPrepare"))
        {
            builder.MaxAutoPrepare = 64;
            builder.AutoPrepareMinUsages = 2;
        }

        if (!named.Contains("NoResetOnClose"))
        {
            builder.NoResetOnClose = true;
        }

        return builder;
    }

    public static SiftDatabase ForSqlite(string dataDirectory)
    {
        Directory.CreateDirectory(dataDirectory);
        var path = Path.GetFullPath(Path.Combine(dataDirectory, "sift.db"));
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            ForeignKeys = true,
            DefaultTimeout = 30,
        }.ToString();

        // WAL lets readers (the API) run beside the writer (the worker). The mode is stored in the file, so it is set once;
        // synchronous stays at SQLite's default, FULL, so that a committed step survives power loss, the same promise
        // PostgreSQL makes with its defaults.
        using (var connection = new SqliteConnection(connectionString))
        {
            connection.Open();
            using var pragma = connection.CreateCommand();
            pragma.CommandText = "PRAGMA journal_mode=WAL;";
            pragma.ExecuteNonQuery();
        }

        return new SiftDatabase(DatabaseEngine.Sqlite, null, connectionString, $"SQLite {path}");
    }

    public async ValueTask<DbConnection> OpenAsync(CancellationToken cancellationToken)
    {
        if (_postgres is not null)
        {
            return await _postgres.OpenConnectionAsync(cancellationToken);
        }

        var connection = new SqliteConnection(_sqliteConnectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }

    /// <summary>
    /// Begins a write transaction. SQLite has one writer at a time: writers in this process queue on a gate instead of
    /// sleeping in SQLite's busy handler, and the transaction takes the write lock at once (BEGIN IMMEDIATE), so that
    /// writers in other processes wait instead of deadlocking.
    /// </summary>
    public async ValueTask<WriteTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        if (connection is not SqliteConnection sqlite)
        {
            return new WriteTransaction(await connection.BeginTransactionAsync(cancellationToken), null);
        }

        await _sqliteWriteGate.WaitAsync(cancellationToken);
        try
        {
            return new WriteTransaction(sqlite.BeginTransaction(deferred: false), _sqliteWriteGate);
        }
        catch
        {
            _sqliteWriteGate.Release();
            throw;
        }
    }

    /// <summary>
    /// Runs one write atomically: on PostgreSQL a single statement (or batch) is its own implicit transaction, one round
    /// trip; on SQLite it runs in a write transaction under the gate.
    /// </summary>
    public async Task<T> WriteAsync<T>(DbConnection connection, Func<DbTransaction?, Task<T>> write, CancellationToken cancellationToken)
    {
        if (Engine == DatabaseEngine.Postgres)
        {
            return await write(null);
        }

        await using var transaction = await BeginWriteAsync(connection, cancellationToken);
        var result = await write(transaction.Transaction);
        await transaction.Transaction.CommitAsync(cancellationToken);
        return result;
    }

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }

        _sqliteWriteGate.Dispose();
    }
}

/// <summary>A write transaction, holding the SQLite write gate until it is disposed.</summary>
public sealed class WriteTransaction(DbTransaction transaction, SemaphoreSlim? gate) : IAsyncDisposable
{
    private SemaphoreSlim? _gate = gate;

    public DbTransaction Transaction => transaction;

    public async ValueTask DisposeAsync()
    {
        try
        {
            // Throws when SQLite already rolled back by itself (e.g. COMMIT failed on a full disk); the gate must open anyway.
            await transaction.DisposeAsync();
        }
        finally
        {
            Interlocked.Exchange(ref _gate, null)?.Release();
        }
    }
}
