using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sift.Api;
using Sift.Ingestion;
using Sift.Mail;
using Sift.Queue;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion;

/// <summary>The ingest queue between the sources and the intake: persisted, deduplicated, retried, never lost.</summary>
public sealed class IngestJobTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_job_runs_its_source_handler_once_and_a_repeated_notification_adds_no_second_job(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var handler = new ScriptedHandler();
        await using var host = Host(database, handler);
        var jobs = host.Services.GetRequiredService<IngestJobs>();

        Assert.True(await jobs.EnqueueAsync(Request("n-1"), CancellationToken.None));
        Assert.False(await jobs.EnqueueAsync(Request("n-1"), CancellationToken.None));
        Assert.Equal(1, await host.RunIngestJobsAsync());

        var summary = Assert.Single((await host.CreateClient().GetFromJsonAsync<MessagePage>("/api/messages"))!.Items);
        var message = await host.CreateClient().GetFromJsonAsync<MessageDetail>($"/api/messages/{summary.Id}");
        Assert.Equal("job-n-1@customer.example", message!.InternetMessageId);
        Assert.Equal(1, handler.Calls);
        Assert.Equal(IngestJobState.Done, await StateAsync(host, "n-1"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_failing_job_backs_off_then_dies_with_its_error_and_can_be_retried_through_the_API(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var handler = new ScriptedHandler { Failure = () => new HttpRequestException("peer unavailable") };
        await using var host = Host(database, handler);
        var jobs = host.Services.GetRequiredService<IngestJobs>();
        await jobs.EnqueueAsync(Request("n-2"), CancellationToken.None);

        var before = TimeProvider.System.GetUtcNow();
        await host.RunIngestJobsAsync();
        var (state, attempt, nextRunAt, error) = await RowAsync(host, "n-2");
        Assert.Equal((IngestJobState.Queued, 1, "peer unavailable"), (state, attempt, error));
        Assert.True(nextRunAt >= before.AddSeconds(2), $"next run {nextRunAt:O} should be at least 2 s after {before:O}");

        // Make it due again until the last attempt.
        for (var i = 1; i < IngestJobs.MaxAttempts; i++)
        {
            await MakeDueAsync(host);
            await host.RunIngestJobsAsync();
        }

        Assert.Equal(IngestJobState.Dead, await StateAsync(host, "n-2"));
        var client = host.CreateClient();
        var dead = Assert.Single((await client.GetFromJsonAsync<IngestJobList>("/api/ingest/jobs?state=dead"))!.Items);
        Assert.Equal(("scripted", "peer unavailable", IngestJobs.MaxAttempts), (dead.Source, dead.LastError, dead.Attempt));

        handler.Failure = null;
        using var retry = await client.PostAsync(new Uri($"/api/ingest/jobs/{dead.Id}/retry", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        await host.RunIngestJobsAsync();
        Assert.Equal(IngestJobState.Done, await StateAsync(host, "n-2"));

        using var again = await client.PostAsync(new Uri($"/api/ingest/jobs/{dead.Id}/retry", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_dead_job_asked_for_again_under_its_key_is_queued_again_not_swallowed(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var handler = new ScriptedHandler { Failure = () => new IngestPermanentException("Graph was down") };
        await using var host = Host(database, handler);
        var jobs = host.Services.GetRequiredService<IngestJobs>();
        await jobs.EnqueueAsync(Request("again"), CancellationToken.None);
        await host.RunIngestJobsAsync();
        Assert.Equal(IngestJobState.Dead, await StateAsync(host, "again"));

        // The delta catch-up after the outage asks for the same message: it runs again.
        handler.Failure = null;
        Assert.True(await jobs.EnqueueAsync(Request("again"), CancellationToken.None));
        Assert.Equal(1, await host.RunIngestJobsAsync());
        Assert.Equal(IngestJobState.Done, await StateAsync(host, "again"));
        Assert.False(await jobs.EnqueueAsync(Request("again"), CancellationToken.None));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_message_with_an_id_too_long_for_an_index_is_stored_under_a_hash_and_still_dedupes(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var longId = new string('x', 3000) + "@spam.example";
        var raw = TestMail.Raw(longId);

        var first = await host.IngestAsync(raw);
        var second = await host.IngestAsync(raw);

        Assert.Equal(first, second);
        var detail = await host.GetAsync(first);
        Assert.EndsWith("@long-id.sift.invalid", detail.InternetMessageId, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_permanent_failure_dies_at_once_and_a_peer_s_Retry_After_is_honoured()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var handler = new ScriptedHandler { Failure = () => new IngestPermanentException("the message was deleted") };
        await using var host = Host(database, handler);
        var jobs = host.Services.GetRequiredService<IngestJobs>();

        await jobs.EnqueueAsync(Request("gone"), CancellationToken.None);
        await host.RunIngestJobsAsync();
        Assert.Equal(IngestJobState.Dead, await StateAsync(host, "gone"));

        handler.Failure = () => new IngestRetryException("429 Too Many Requests", TimeSpan.FromSeconds(90));
        await jobs.EnqueueAsync(Request("throttled"), CancellationToken.None);
        var before = TimeProvider.System.GetUtcNow();
        await host.RunIngestJobsAsync();
        var (state, _, nextRunAt, _) = await RowAsync(host, "throttled");
        Assert.Equal(IngestJobState.Queued, state);
        Assert.True(nextRunAt >= before.AddSeconds(90), $"next run {nextRunAt:O} should honour Retry-After (90 s after {before:O})");
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_claimed_job_whose_worker_died_is_due_again_when_its_lease_runs_out(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, new ScriptedHandler());
        var jobs = host.Services.GetRequiredService<IngestJobs>();
        await jobs.EnqueueAsync(Request("orphan"), CancellationToken.None);

        // A worker claims it and dies before completing.
        Assert.Single(await jobs.ClaimAsync(4, TimeSpan.FromMilliseconds(600), CancellationToken.None));
        Assert.Empty(await jobs.ClaimAsync(4, TimeSpan.FromMinutes(1), CancellationToken.None));

        await Task.Delay(TimeSpan.FromMilliseconds(800), TestContext.Current.CancellationToken);
        Assert.Equal(1, await host.RunIngestJobsAsync());
        Assert.Equal(IngestJobState.Done, await StateAsync(host, "orphan"));
    }

    [Fact]
    public async Task A_recorded_rejection_is_listed_with_its_reason_and_an_unknown_state_is_a_clear_400()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, new ScriptedHandler());
        var jobs = host.Services.GetRequiredService<IngestJobs>();
        await jobs.RecordRejectionAsync(Request("forged"), "clientState does not match the subscription", CancellationToken.None);

        var client = host.CreateClient();
        var rejected = Assert.Single((await client.GetFromJsonAsync<IngestJobList>("/api/ingest/jobs?state=rejected"))!.Items);
        Assert.Equal("clientState does not match the subscription", rejected.LastError);
        Assert.Equal(0, await host.RunIngestJobsAsync());

        using var bad = await client.GetAsync(new Uri("/api/ingest/jobs?state=lost", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, bad.StatusCode);
        Assert.Contains("state", await bad.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    private static SiftTestHost Host(TestDatabase database, ScriptedHandler handler) =>
        new(database, services: services => services.AddSingleton<IIngestHandler>(sp =>
        {
            handler.Intake = sp.GetRequiredService<MessageIntake>();
            return handler;
        }));

    private static IngestJobRequest Request(string key) =>
        new("scripted", "notification", SiftTestHost.Mailbox, $$"""{"key":"{{key}}"}""", key);

    private static async Task<string> StateAsync(SiftTestHost host, string key) => (await RowAsync(host, key)).State;

    private static async Task<(string State, int Attempt, DateTimeOffset NextRunAt, string? LastError)> RowAsync(SiftTestHost host, string key)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        return await connection.QuerySingleAsync<(string, int, DateTimeOffset, string?)>(
            "SELECT state, attempt, next_run_at, last_error FROM ingest_jobs WHERE dedupe_key = @key", new { key });
    }

    private static async Task MakeDueAsync(SiftTestHost host)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        await connection.ExecuteAsync("UPDATE ingest_jobs SET next_run_at = @past WHERE state = 'queued'", new { past = TimeProvider.System.GetUtcNow().AddMinutes(-1) });
    }

    /// <summary>A source whose "fetch" builds a message from the job, or fails as told.</summary>
    private sealed class ScriptedHandler : IIngestHandler
    {
        public MessageIntake? Intake { get; set; }

        public Func<Exception>? Failure { get; set; }

        public int Calls { get; private set; }

        public string Source => "scripted";

        public async Task HandleAsync(IngestJob job, CancellationToken cancellationToken)
        {
            Calls++;
            if (Failure is { } failure)
            {
                throw failure();
            }

            var key = System.Text.Json.JsonDocument.Parse(job.Payload).RootElement.GetProperty("key").GetString();
            var message = new InboundMessage
            {
                InternetMessageId = $"job-{key}@customer.example",
                From = new EmailAddress("ana@customer.example"),
                Subject = "Where is my invoice?",
                ReceivedAt = TimeProvider.System.GetUtcNow(),
                ThreadId = $"job-{key}@customer.example",
                Text = "Hello, where can I find my invoice?",
            };
            await Intake!.IngestAsync(job.Mailbox, message, "scripted", cancellationToken);
        }
    }
}
