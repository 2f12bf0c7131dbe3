using System.Net;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sift.Ingestion;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion.Graph;

/// <summary>The worker's fetch through the SDK: throttling honoured through the queue, deleted messages ending the job.</summary>
public sealed class GraphFetchTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_fetch_answered_429_with_Retry_After_is_retried_no_sooner_than_asked_then_succeeds(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (id, clientState) = await GraphTestHost.SubscribeAsync(host, graph);
        graph.FetchFailures.Enqueue((429, "120"));
        using (var response = await GraphTestHost.PostAsync(host, GraphTestHost.Notification(id, clientState, "throttled-msg")))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        var before = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();
        await host.RunIngestJobsAsync();

        // One request: the SDK's retry handler did not wait and retry behind the queue's back.
        Assert.Single(graph.Fetches("throttled-msg"));
        var job = await JobAsync(host);
        Assert.Equal(IngestJobState.Queued, job.State);
        Assert.Equal(1, job.Attempt);
        Assert.Contains("429", job.LastError, StringComparison.Ordinal);
        Assert.True(job.NextRunAt >= before + TimeSpan.FromSeconds(120), $"due at {job.NextRunAt:O}, less than 120 s after {before:O}");
        Assert.Equal(0, await GraphTestHost.CountAsync(host, "messages"));

        // Once the delay has passed, the job runs again and the message arrives.
        await using (var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None))
        {
            await connection.ExecuteAsync("UPDATE ingest_jobs SET next_run_at = @at", new { at = before - TimeSpan.FromSeconds(1) });
        }

        await host.RunIngestJobsAsync();
        Assert.Equal(2, graph.Fetches("throttled-msg").Count);
        Assert.Equal(IngestJobState.Done, (await JobAsync(host)).State);
        Assert.Equal(1, await GraphTestHost.CountAsync(host, "messages"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_message_deleted_before_the_fetch_ends_its_job_dead_without_retrying(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (id, clientState) = await GraphTestHost.SubscribeAsync(host, graph);
        graph.DeletedMessages["deleted-msg"] = true;
        using (var response = await GraphTestHost.PostAsync(host, GraphTestHost.Notification(id, clientState, "deleted-msg")))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await host.RunIngestJobsAsync();

        var job = await JobAsync(host);
        Assert.Equal(IngestJobState.Dead, job.State);
        Assert.Contains("404", job.LastError, StringComparison.Ordinal);
        Assert.Single(graph.Fetches("deleted-msg"));
        Assert.Equal(0, await GraphTestHost.CountAsync(host, "messages"));
    }

    private static async Task<JobRow> JobAsync(SiftTestHost host)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        return await connection.QuerySingleAsync<JobRow>(
            "SELECT state AS State, attempt AS Attempt, last_error AS LastError, next_run_at AS NextRunAt FROM ingest_jobs WHERE kind = 'message'");
    }

    private sealed class JobRow
    {
        public string State { get; init; } = string.Empty;

        public long Attempt { get; init; }

        public string? LastError { get; init; }

        public DateTimeOffset NextRunAt { get; init; }
    }
}
