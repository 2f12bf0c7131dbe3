using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Api;

/// <summary>The embedded default's database keeps the same durability promise as PostgreSQL, and the audit log stays append-only.</summary>
public sealed class StorageTests
{
    [Fact]
    public async Task The_embedded_database_uses_WAL_and_syncs_every_commit()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        _ = host.CreateClient();
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);

        Assert.Equal("wal", await connection.ExecuteScalarAsync<string>("PRAGMA journal_mode"));
        Assert.Equal(2L, await connection.ExecuteScalarAsync<long>("PRAGMA synchronous")); // 2 = FULL
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("PRAGMA foreign_keys"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task The_audit_log_refuses_updates_and_deletes(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        await host.IngestAsync(TestMail.Raw("audit-1@initech.example"));
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);

        var update = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => connection.ExecuteAsync("UPDATE audit_log SET what = 'tampered'"));
        Assert.Contains("append-only", update.Message, StringComparison.Ordinal);
        var delete = await Assert.ThrowsAnyAsync<System.Data.Common.DbException>(() => connection.ExecuteAsync("DELETE FROM audit_log"));
        Assert.Contains("append-only", delete.Message, StringComparison.Ordinal);
        Assert.Equal(1L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM audit_log WHERE message_id IS NOT NULL"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Migrations_are_applied_once_even_when_several_processes_start_together(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var first = new SiftTestHost(database);
        await using var second = new SiftTestHost(database);
        await Task.WhenAll(Task.Run(first.CreateClient), Task.Run(second.CreateClient));

        await using var connection = await first.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        var versions = (await connection.QueryAsync<long>("SELECT version FROM schema_migrations ORDER BY version")).ToList();
        Assert.Equal(Migrator.LoadScripts(database.Engine == TestDatabase.Postgres ? DatabaseEngine.Postgres : DatabaseEngine.Sqlite).Select(s => (long)s.Version), versions);
        if (engine == TestDatabase.Postgres)
        {
            // The migration lock is transaction-scoped: none stays on a pooled connection, which is not reset when returned.
            Assert.Equal(0L, await connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"));
        }
    }
}
