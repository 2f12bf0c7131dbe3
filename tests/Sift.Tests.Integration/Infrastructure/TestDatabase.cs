using Npgsql;

namespace Sift.Tests.Integration.Infrastructure;

/// <summary>
/// A fresh, empty Sift database for one test: a SQLite file in a temporary folder (the embedded default), or a new
/// database on the PostgreSQL server that test.sh started (SIFT_TEST_POSTGRES). Both engines run the same tests.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    public const string Sqlite = "sqlite";
    public const string Postgres = "postgres";

    private readonly string? _adminConnectionString;
    private readonly string? _databaseName;

    private TestDatabase(string engine, string dataDirectory, string? connectionString, string? adminConnectionString, string? databaseName)
    {
        Engine = engine;
        DataDirectory = dataDirectory;
        ConnectionString = connectionString;
        _adminConnectionString = adminConnectionString;
        _databaseName = databaseName;
    }

    public string Engine { get; }

    public string DataDirectory { get; }

    /// <summary>The PostgreSQL connection string, or null for SQLite.</summary>
    public string? ConnectionString { get; }

    public string OutboxFolder => Path.Combine(DataDirectory, "outbox");

    public static string? PostgresServer => Environment.GetEnvironmentVariable("SIFT_TEST_POSTGRES");

    public static string? RedisServer => Environment.GetEnvironmentVariable("SIFT_TEST_REDIS");

    /// <summary>Creates the database, or skips the test when its engine is not available here.</summary>
    public static async Task<TestDatabase> CreateAsync(string engine)
    {
        var dataDirectory = Directory.CreateTempSubdirectory("sift-test-").FullName;
        if (engine == Sqlite)
        {
            return new TestDatabase(engine, dataDirectory, null, null, null);
        }

        var server = PostgresServer;
        if (string.IsNullOrEmpty(server))
        {
            Assert.Skip("PostgreSQL is not available: SIFT_TEST_POSTGRES is not set (./test.sh starts a server and sets it).");
        }

        var name = $"sift_test_{Guid.NewGuid():N}";
        await using (var admin = new NpgsqlConnection(server))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", admin);
            await create.ExecuteNonQueryAsync();
        }

        var connectionString = new NpgsqlConnectionStringBuilder(server) { Database = name }.ToString();
        return new TestDatabase(engine, dataDirectory, connectionString, server, name);
    }

    /// <summary>Configuration that points a Sift host at this database.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Sift:DataDirectory"] = DataDirectory,
        ["ConnectionStrings:Postgres"] = ConnectionString ?? string.Empty,
    };

    /// <summary>Drops the PostgreSQL database under a running host, as an outage would take it away.</summary>
    public async Task DropAsync()
    {
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_databaseName} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
        NpgsqlConnection.ClearAllPools();
    }

    public async ValueTask DisposeAsync()
    {
        if (_adminConnectionString is not null)
        {
            NpgsqlConnection.ClearAllPools();
            await using var admin = new NpgsqlConnection(_adminConnectionString);
            await admin.OpenAsync();
            await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {_databaseName} WITH (FORCE)", admin);
            await drop.ExecuteNonQueryAsync();
        }

        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A killed worker process may still be releasing a file; the OS temp folder is cleaned eventually.
        }
    }
}
