using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Workflows;

/// <summary>
/// A worker process killed at each point between two steps, then restarted, resumes where it stopped: the reply
/// leaves exactly once and no completed step runs again.
/// </summary>
public sealed class CrashTests
{
    public static TheoryData<string, string> AutoSendCrashPoints()
    {
        string[] points =
        [
            "before-commit:before:send",     // prefilter, classify, route, loop guard and draft done, none of it recorded
            "after-commit:before:send",      // all of that recorded, and the send recorded as started
            "before-perform:send",           // the same, at the transport's door
            "after-perform:send",            // the reply left; its record did not
            "before-commit:complete",        // everything done but the final commit (the send's completion included)
        ];
        var data = new TheoryData<string, string>();
        foreach (var engine in new[] { TestDatabase.Sqlite, TestDatabase.Postgres })
        {
            foreach (var point in points)
            {
                data.Add(engine, point);
            }
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(AutoSendCrashPoints))]
    public async Task A_worker_killed_during_an_auto_send_resumes_and_sends_exactly_once(string engine, string crashAt)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var id = await host.IngestAsync(TestMail.Raw($"crash-{Guid.NewGuid():N}@initech.example"));

        await KillAtAsync(database, crashAt);
        var stopped = await host.GetAsync(id);
        Assert.NotEqual("completed", stopped.Workflow.State);

        var detail = await RestartAndFinishAsync(database, host, id);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        Assert.Single(detail.Audit, a => a.Step == "classify-local");
        Assert.DoesNotContain(detail.Audit, a => a.Step is "retry" or "dead-letter");
        Assert.Equal(1, await ScalarAsync(host, $"SELECT COUNT(*) FROM side_effects WHERE state = 'done'"));
    }

    /// <summary>
    /// After an approval the steps are the decision taken from the inbox, the draft row with the decision, the send gate,
    /// the send (recorded as started, performed, recorded as done) and the completion: a kill at each boundary.
    /// </summary>
    [Theory]
    [MemberData(nameof(AutoSendCrashPoints))]
    public async Task A_worker_killed_after_an_approval_never_loses_or_repeats_the_approved_send(string engine, string crashAt)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        using (var decision = await host.DecideAsync(id, "approve"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, decision.StatusCode);
        }

        await KillAtAsync(database, crashAt);

        var detail = await RestartAndFinishAsync(database, host, id);
        Assert.Equal(MessageStatus.Sent, detail.Status);
        Assert.Equal("approve", detail.Draft!.Decision);
        Assert.Single(detail.Audit, a => a.Step == "request-review");
        Assert.DoesNotContain(detail.Audit, a => a.Step is "retry" or "dead-letter");
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite, "after-perform:send")]
    [InlineData(TestDatabase.Postgres, "before-commit:before:send")]
    public async Task A_worker_killed_after_an_edit_sends_the_reviewers_text_exactly_once(string engine, string crashAt)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        const string edited = "Hello,\n\nWe are looking into the export error.\n\nSift Support";
        using (var decision = await host.DecideAsync(id, "edit", edited))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, decision.StatusCode);
        }

        await KillAtAsync(database, crashAt);

        var detail = await RestartAndFinishAsync(database, host, id);
        Assert.Equal(MessageStatus.Sent, detail.Status);
        Assert.Equal("edit", detail.Draft!.Decision);
        Assert.Contains("looking into the export error", await File.ReadAllTextAsync(Directory.GetFiles(database.OutboxFolder, "*.eml").Single()), StringComparison.Ordinal);
    }

    /// <summary>Starts a healthy worker, waits until the instance completes, and checks that exactly one reply left.</summary>
    private static async Task<Sift.Api.MessageDetail> RestartAndFinishAsync(TestDatabase database, SiftTestHost host, Guid id)
    {
        await using (SiftProcess.StartWorker(database))
        {
            await host.WaitForAsync(id, d => d.Workflow.State == "completed", timeoutSeconds: 60);
        }

        var detail = await host.GetAsync(id);
        Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
        Assert.Single(detail.Audit, a => a.Step == "send");
        return detail;
    }

    private static async Task KillAtAsync(TestDatabase database, string crashAt)
    {
        await using var crashing = SiftProcess.StartWorker(database, crashAt);
        Assert.True(await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"the worker did not reach {crashAt}");
        Assert.Equal(137, crashing.ExitCode); // 128 + SIGKILL: killed, not a clean exit
    }

    private static async Task<long> ScalarAsync(SiftTestHost host, string sql)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>(sql);
    }
}
