using System.Net;
using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sift.Api;
using Sift.Mail;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;
using Sift.Triage;

namespace Sift.Tests.Integration.Workflows;

/// <summary>Retries, dead letters, durable waits and deadlines, on both engines.</summary>
public sealed class DurabilityTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_transient_failure_is_retried_with_backoff_and_completed_steps_are_not_repeated(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        var transport = new FlakyTransport(failures: 2);
        await using var host = Host(database, time, transport, maxAttempts: 5);
        var id = await host.IngestAsync(TestMail.Raw("retry-1@initech.example"));

        await host.RunWorkflowsAsync();
        var afterFirst = await host.GetAsync(id);
        Assert.Equal("queued", afterFirst.Workflow.State);
        Assert.Equal(1, afterFirst.Workflow.Attempt);
        Assert.Contains("mail server closed", afterFirst.Workflow.LastError, StringComparison.Ordinal);

        // Not due yet: the backoff (2 s base, ±20%) has not passed.
        Assert.Equal(0, await host.RunWorkflowsAsync());
        time.Advance(TimeSpan.FromSeconds(3));
        await host.RunWorkflowsAsync();
        time.Advance(TimeSpan.FromSeconds(6));
        await host.RunWorkflowsAsync();

        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        Assert.Equal(3, transport.Calls);
        Assert.Single(transport.Sent);
        Assert.Single(detail.Audit, a => a.Step == "classify-local");
        Assert.Single(detail.Audit, a => a.Step == "loop-guard");
        Assert.Equal(2, detail.Audit.Count(a => a.Step == "retry"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task After_the_last_attempt_the_message_is_dead_lettered_listed_and_can_be_retried(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        var transport = new FlakyTransport(failures: int.MaxValue);
        await using var host = Host(database, time, transport, maxAttempts: 2);
        var id = await host.IngestAsync(TestMail.Raw("dead-1@initech.example"));

        await host.RunWorkflowsAsync();
        time.Advance(TimeSpan.FromMinutes(1));
        await host.RunWorkflowsAsync();

        var dead = await host.GetAsync(id);
        Assert.Equal(MessageStatus.DeadLettered, dead.Status);
        Assert.Equal("dead", dead.Workflow.State);
        Assert.Contains("IOException: the mail server closed the connection", dead.Workflow.LastError, StringComparison.Ordinal);

        var client = host.CreateClient();
        var listed = await client.GetFromJsonAsync<MessagePage>(new Uri("/api/messages?status=dead_lettered", UriKind.Relative));
        var item = Assert.Single(listed!.Items);
        Assert.Equal(id, item.Id);
        Assert.Contains("IOException", item.LastError, StringComparison.Ordinal);

        transport.Failures = 0;
        using (var retry = await client.PostAsync(new Uri($"/api/messages/{id}/retry", UriKind.Relative), null))
        {
            Assert.Equal(HttpStatusCode.Accepted, retry.StatusCode);
        }

        await host.RunWorkflowsAsync();
        var done = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, done.Status);
        Assert.Single(transport.Sent);

        using var again = await client.PostAsync(new Uri($"/api/messages/{id}/retry", UriKind.Relative), null);
        Assert.Equal(HttpStatusCode.Conflict, again.StatusCode);
        Assert.Contains("not dead-lettered", await again.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_review_wait_survives_a_restart_of_every_process(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        Guid id;
        await using (var first = new SiftTestHost(database))
        {
            id = await first.IngestAsync(TestMail.Sample("01-support.eml"));
            await first.RunWorkflowsAsync();
            var waiting = await first.GetAsync(id);
            Assert.Equal(MessageStatus.AwaitingReview, waiting.Status);
            Assert.Equal("waiting", waiting.Workflow.State);
            Assert.Equal("review", waiting.Workflow.WaitingFor);
        }

        await using var second = new SiftTestHost(database);
        using (var decision = await second.DecideAsync(id, "approve"))
        {
            Assert.Equal(HttpStatusCode.Accepted, decision.StatusCode);
        }

        await second.RunWorkflowsAsync();
        var sent = await second.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("completed", sent.Workflow.State);
        Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_passed_review_deadline_escalates_to_the_fallback_owner_and_the_decision_still_counts(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        await using var host = new SiftTestHost(database, services: s => s.AddSingleton<TimeProvider>(time));
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var waiting = await host.GetAsync(id);
        Assert.Equal("support-team", waiting.Classification.Owner);
        Assert.Equal(Start.AddMinutes(240), waiting.Workflow.WaitDeadline);

        time.Advance(TimeSpan.FromMinutes(239));
        Assert.Equal(0, await host.RunWorkflowsAsync());

        time.Advance(TimeSpan.FromMinutes(2));
        Assert.Equal(1, await host.RunWorkflowsAsync());
        var escalated = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, escalated.Status);
        Assert.Equal("support-lead", escalated.Classification.Owner);
        Assert.Contains(escalated.Audit, a => a.Step == "escalate" && a.What.Contains("escalated from support-team to support-lead", StringComparison.Ordinal));
        Assert.Null(escalated.Workflow.WaitDeadline);

        time.Advance(TimeSpan.FromMinutes(30));
        using (var decision = await host.DecideAsync(id, "approve", by: "lead@contoso.example"))
        {
            Assert.Equal(HttpStatusCode.Accepted, decision.StatusCode);
        }

        await host.RunWorkflowsAsync();
        var sent = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("lead@contoso.example", sent.Draft!.Approver);
        Assert.Equal((long)TimeSpan.FromMinutes(271).TotalMilliseconds, sent.Draft.LatencyMs);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_reassigned_review_escalates_from_its_new_owner_and_keeps_the_owner_it_has_when_decided(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        await using var host = new SiftTestHost(database, services: s => s.AddSingleton<TimeProvider>(time));
        var siftDatabase = host.Services.GetRequiredService<SiftDatabase>();
        var first = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        var second = await host.IngestAsync(System.Text.Encoding.UTF8.GetBytes(System.Text.Encoding.UTF8.GetString(TestMail.Sample("01-support.eml")).Replace("Message-ID: <", "Message-ID: <second-", StringComparison.Ordinal)));
        Assert.Equal(2, await host.RunWorkflowsAsync());

        // Both move to sales-team while they wait; the first is decided before its deadline, the second passes it.
        foreach (var id in new[] { first, second })
        {
            var (outcome, _) = await siftDatabase.ReassignAsync(id, "sales-team", "console:lead@contoso.example", time, CancellationToken.None);
            Assert.Equal(Sift.Engine.EventOutcome.Accepted, outcome);
        }

        using (var decision = await host.DecideAsync(first, "approve", by: "sales@contoso.example"))
        {
            Assert.Equal(HttpStatusCode.Accepted, decision.StatusCode);
        }

        Assert.Equal(1, await host.RunWorkflowsAsync());
        var sent = await host.GetAsync(first);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("sales-team", sent.Classification.Owner);

        // Past the deadline, before the escalation ran: a move now would be overwritten by it, so it is refused.
        time.Advance(TimeSpan.FromMinutes(241));
        Assert.Equal(Sift.Engine.EventOutcome.Refused, (await siftDatabase.ReassignAsync(second, "partnerships", "console:lead@contoso.example", time, CancellationToken.None)).Outcome);
        Assert.Equal(1, await host.RunWorkflowsAsync());
        var escalated = await host.GetAsync(second);
        Assert.Equal("support-lead", escalated.Classification.Owner);
        Assert.Contains(escalated.Audit, a => a.Step == "escalate" && a.What == "SLA missed: escalated from sales-team to support-lead");

        // A reassignment after the escalation also holds through the decision's replay of the escalation.
        Assert.Equal(Sift.Engine.EventOutcome.Accepted, (await siftDatabase.ReassignAsync(second, "support-team", "console:lead@contoso.example", time, CancellationToken.None)).Outcome);
        using (var decision = await host.DecideAsync(second, "reject", by: "agent@contoso.example"))
        {
            Assert.Equal(HttpStatusCode.Accepted, decision.StatusCode);
        }

        Assert.Equal(1, await host.RunWorkflowsAsync());
        var rejected = await host.GetAsync(second);
        Assert.Equal(MessageStatus.Rejected, rejected.Status);
        Assert.Equal("support-team", rejected.Classification.Owner);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_decision_that_arrives_while_the_instance_runs_towards_its_wait_is_not_lost(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        var runner = host.Services.GetRequiredService<Sift.Engine.WorkflowRunner>();

        // Claim the instance (it is now running), then let the reviewer decide before the workflow reaches its wait.
        var claim = Assert.Single(await runner.ClaimAsync(10, CancellationToken.None));
        var commands = host.Services.GetRequiredService<Sift.Engine.WorkflowCommands>();
        var database2 = host.Services.GetRequiredService<SiftDatabase>();
        await using (var connection = await database2.OpenAsync(CancellationToken.None))
        await using (var command = connection.CreateCommand())
        {
            // The draft is already in front of the reviewer (status awaiting_review) while the worker is still running.
            command.CommandText = $"UPDATE messages SET status = 'awaiting_review' WHERE id = '{id}'";
            await command.ExecuteNonQueryAsync();
        }

        var payload = $$"""{"action":"approve","by":"fast@contoso.example","at":"{{DateTimeOffset.UnixEpoch:O}}"}""";
        var (outcome, _) = await commands.RaiseEventAsync(id, "review", MessageStatus.AwaitingReview, payload, "test", "approve", CancellationToken.None);
        Assert.Equal(Sift.Engine.EventOutcome.Accepted, outcome);

        // The worker loaded its history before the event arrived, so it suspends; the wake flag turns that into a requeue.
        var store = host.Services.GetRequiredService<Sift.Engine.WorkflowStore>();
        var now = DateTimeOffset.UnixEpoch.AddYears(56);
        await store.CommitAsync(claim, new Sift.Engine.Checkpoint(now, now.AddMinutes(1), [], [], null, null, [], new Sift.Engine.Transition(Sift.Engine.TransitionKind.Suspend)
        {
            WaitEvent = "review",
            WaitDeadline = now.AddHours(4),
        }), CancellationToken.None);
        var requeued = await host.GetAsync(id);
        Assert.Equal("queued", requeued.Workflow.State);

        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, detail.Status);
        Assert.Equal("fast@contoso.example", detail.Draft!.Approver);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_worker_whose_lease_was_taken_over_can_write_nothing(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Workflow:LeaseDuration"] = "00:00:00.001" });
        var id = await host.IngestAsync(TestMail.Raw("fenced-1@initech.example"));
        var runner = host.Services.GetRequiredService<Sift.Engine.WorkflowRunner>();
        var stale = Assert.Single(await runner.ClaimAsync(1, CancellationToken.None));

        // The lease expires; another worker claims the instance (a new fencing token) and finishes it.
        await Task.Delay(50);
        Assert.Equal(1, await host.RunWorkflowsAsync());
        var before = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, before.Status);

        var store = host.Services.GetRequiredService<Sift.Engine.WorkflowStore>();
        var now = DateTimeOffset.UnixEpoch.AddYears(56);
        var checkpoint = new Sift.Engine.Checkpoint(now, now, [], [new Sift.Engine.AuditEntry(id, now, "stale", "stale write", null, "stale-worker")],
            new Sift.Engine.MessagePatch { Status = MessageStatus.Rejected }, null, [], new Sift.Engine.Transition(Sift.Engine.TransitionKind.Complete));
        await Assert.ThrowsAsync<Sift.Engine.LeaseLostException>(() => store.CommitAsync(stale, checkpoint, CancellationToken.None));

        var after = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, after.Status);
        Assert.DoesNotContain(after.Audit, a => a.Step == "stale");
        Assert.Equal(before.Audit.Count, after.Audit.Count);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_message_dispatched_to_a_worker_that_died_is_claimed_by_another_when_its_lease_expires(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        _ = host.CreateClient();
        using var slots = new SemaphoreSlim(1, 1);

        // A worker that takes the message from the intake and then never runs it, as if its process died.
        var dispatch = host.Services.GetRequiredService<Sift.Queue.LocalDispatch>();
        dispatch.Attach("worker:that-died", TimeSpan.FromMilliseconds(200), slots);
        var id = await host.IngestAsync(TestMail.Raw("orphan-1@initech.example"));
        dispatch.Detach();
        Assert.True(dispatch.Dispatched.TryRead(out var dispatched));
        Assert.Equal(id, dispatched!.Id);
        Assert.Equal("running", (await host.GetAsync(id)).Workflow.State);
        Assert.Equal(0, await host.RunWorkflowsAsync());

        await Task.Delay(300);
        Assert.Equal(1, await host.RunWorkflowsAsync());
        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        Assert.Equal(1, detail.Workflow.Attempt);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_stored_message_that_cannot_be_read_is_dead_lettered_at_once(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var id = await host.IngestAsync(TestMail.Raw("unreadable-1@initech.example"));
        await using (var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None))
        {
            await Dapper.SqlMapper.ExecuteAsync(connection, "UPDATE messages SET content = '{\"from\": 42' WHERE internet_message_id = 'unreadable-1@initech.example'");
        }

        Assert.Equal(1, await host.RunWorkflowsAsync());
        Assert.Equal(0, await host.RunWorkflowsAsync());
        using var response = await host.CreateClient().GetAsync(new Uri("/api/messages?status=dead_lettered", UriKind.Relative));
        var page = await response.Content.ReadFromJsonAsync<MessagePage>();
        var item = Assert.Single(page!.Items);
        Assert.Equal(id, item.Id);
        Assert.Contains("cannot be read", item.LastError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task When_Redis_is_down_ingestion_goes_on_and_auto_replies_wait_for_review()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Redis"] = "127.0.0.1:1,abortConnect=false,connectTimeout=200,syncTimeout=500,asyncTimeout=500",
        });
        var raw = TestMail.Raw("no-redis-1@initech.example");
        var id = await host.IngestAsync(raw);
        Assert.Equal(id, await host.IngestAsync(raw));

        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, detail.Status);
        Assert.Contains(detail.Decision.Explanation, m => m.Rule == "loop-guard" && m.Reason.Contains("cannot reach Redis", StringComparison.Ordinal));
    }

    private static SiftTestHost Host(TestDatabase database, FakeTimeProvider time, IMailTransport transport, int maxAttempts) =>
        new(database,
            new Dictionary<string, string?> { ["Sift:Workflow:MaxAttempts"] = maxAttempts.ToString(System.Globalization.CultureInfo.InvariantCulture) },
            services =>
            {
                services.AddSingleton<TimeProvider>(time);
                services.AddSingleton(transport);
            });
}
