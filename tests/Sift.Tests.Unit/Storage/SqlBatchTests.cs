using Dapper;
using Microsoft.Data.Sqlite;

namespace Sift.Storage;

public sealed class SqlBatchTests
{
    [Fact]
    public async Task Rows_of_one_insert_and_statements_around_it_each_keep_their_own_parameters()
    {
        await using var connection = new SqliteConnection("Data Source=:memory:");
        await connection.OpenAsync(TestContext.Current.CancellationToken);
        await connection.ExecuteAsync("CREATE TABLE lines (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, size INTEGER NULL)");

        var batch = new SqlBatch()
            .Add("INSERT INTO lines (name, size) VALUES (@Name, @Size)", new { Name = "before", Size = (int?)1 })
            .AddRows("INSERT INTO lines (name, size) VALUES", "(@Name, @Size)", new[]
            {
                new { Name = "first", Size = (int?)10 },
                new { Name = "second", Size = (int?)null },
                new { Name = "third", Size = (int?)30 },
            })
            .AddRows("INSERT INTO lines (name, size) VALUES", "(@Name, @Size)", Array.Empty<object>())
            .Add("UPDATE lines SET size = @Size WHERE name = @Name", new { Name = "before", Size = (int?)2 });
        await batch.ExecuteAsync(connection, null, TestContext.Current.CancellationToken);

        var lines = (await connection.QueryAsync<(string Name, long? Size)>("SELECT name, size FROM lines ORDER BY id")).ToList();
        Assert.Equal([("before", 2L), ("first", 10L), ("second", null), ("third", 30L)], lines);
    }
}
