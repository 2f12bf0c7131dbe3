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
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        var dataSource = new NpgsqlDataSourceBuilder(connectionString).Build();
        return new SiftDatabase(DatabaseEngine.Postgres, dataSource, null, $"PostgreSQL {builder.Host}:{builder.Port}/{builder.Database}");
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
            DefaultTimeout = 30,
        }.ToString();
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
        // WAL lets readers (the API) run beside the writer (the worker); FULL keeps a committed step
        // durable across power loss, the same promise PostgreSQL makes with its defaults.
        await using var pragma = connection.CreateCommand();
        pragma.CommandText = "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON; PRAGMA busy_timeout=30000;";
        await pragma.ExecuteNonQueryAsync(cancellationToken);
        return connection;
    }

    /// <summary>Begins a write transaction. On SQLite it takes the write lock at once (BEGIN IMMEDIATE), so two writers wait instead of deadlocking.</summary>
    public static async ValueTask<DbTransaction> BeginWriteAsync(DbConnection connection, CancellationToken cancellationToken) =>
        connection is SqliteConnection sqlite
            ? sqlite.BeginTransaction(deferred: false)
            : await connection.BeginTransactionAsync(cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (_postgres is not null)
        {
            await _postgres.DisposeAsync();
        }
    }
}
