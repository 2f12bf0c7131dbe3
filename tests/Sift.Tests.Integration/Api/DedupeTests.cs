using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sift.Api;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;
using StackExchange.Redis;

namespace Sift.Tests.Integration.Api;

/// <summary>The same message (same Message-ID in the same mailbox) never starts a second workflow.</summary>
public sealed class DedupeTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite, false)]
    [InlineData(TestDatabase.Postgres, false)]
    [InlineData(TestDatabase.Postgres, true)]
    public async Task Posting_the_same_message_again_returns_the_same_id_and_starts_no_second_workflow(string engine, bool redis)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, RedisSettings(redis));
        var raw = TestMail.Raw("dup-1@initech.example");

        using var first = await host.PostRawAsync(raw);
        using var second = await host.PostRawAsync(raw);
        var a = await first.Content.ReadFromJsonAsync<IngestResponse>();
        var b = await second.Content.ReadFromJsonAsync<IngestResponse>();

        Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        Assert.Equal(a!.Id, b!.Id);
        Assert.False(a.Duplicate);
        Assert.True(b.Duplicate);
        Assert.Equal(first.Headers.Location, second.Headers.Location);
        // The same Message-ID in another mailbox is another message.
        var other = await host.IngestAsync(raw, "sales@contoso.example");
        Assert.NotEqual(a.Id, other);
        Assert.Equal(2, await CountAsync(host, "workflows"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite, false)]
    [InlineData(TestDatabase.Postgres, false)]
    [InlineData(TestDatabase.Postgres, true)]
    public async Task Concurrent_duplicate_posts_create_one_message(string engine, bool redis)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, RedisSettings(redis));
        var raw = TestMail.Raw("race-1@initech.example");

        var responses = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => host.PostRawAsync(raw)));
        var ids = new HashSet<Guid>();
        foreach (var response in responses)
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
            ids.Add((await response.Content.ReadFromJsonAsync<IngestResponse>())!.Id);
            response.Dispose();
        }

        Assert.Single(ids);
        Assert.Equal(1, await CountAsync(host, "messages"));
        Assert.Equal(1, await CountAsync(host, "workflows"));
    }

    [Fact]
    public async Task A_lost_Redis_dedupe_key_still_finds_the_existing_message()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var host = new SiftTestHost(database, RedisSettings(true));
        var raw = TestMail.Raw("flushed-1@initech.example");
        var id = await host.IngestAsync(raw);

        // As after a Redis restart without persistence: the key is gone, the unique constraint is not.
        var redis = host.Services.GetRequiredService<IConnectionMultiplexer>();
        await redis.GetDatabase().KeyDeleteAsync($"sift:dedupe:support@contoso.example:flushed-1@initech.example");

        Assert.Equal(id, await host.IngestAsync(raw));
        Assert.Equal(1, await CountAsync(host, "workflows"));
    }

    [Fact]
    public async Task The_loop_guard_in_Redis_allows_one_automatic_reply_per_sender_across_hosts()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var settings = RedisSettings(true);
        var sender = $"Loop Tester <loop-{Guid.NewGuid():N}@initech.example>";
        await using var first = new SiftTestHost(database, settings);
        await using var second = new SiftTestHost(database, settings);

        var a = await first.IngestAsync(TestMail.Raw("loop-a@initech.example", from: sender));
        await first.RunWorkflowsAsync();
        var b = await second.IngestAsync(TestMail.Raw("loop-b@initech.example", from: sender));
        await second.RunWorkflowsAsync();

        Assert.Equal(MessageStatus.AutoSent, (await first.GetAsync(a)).Status);
        var held = await second.GetAsync(b);
        Assert.Equal(MessageStatus.AwaitingReview, held.Status);
        Assert.Contains(held.Decision.Explanation, m => m.Rule == "loop-guard");
    }

    private static Dictionary<string, string?> RedisSettings(bool redis)
    {
        if (!redis)
        {
            return [];
        }

        var server = TestDatabase.RedisServer;
        if (string.IsNullOrEmpty(server))
        {
            Assert.Skip("Redis is not available: SIFT_TEST_REDIS is not set (./test.sh starts a server and sets it).");
        }

        return new() { ["ConnectionStrings:Redis"] = server };
    }

    private static async Task<long> CountAsync(SiftTestHost host, string table)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }
}
