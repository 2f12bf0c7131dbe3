using System.Net;
using Sift.Approvals.Slack;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Approvals.Slack;

/// <summary>
/// A worker process killed around the review card's post, then restarted: the card is in the channel exactly once (after
/// a kill between the post and its record, the restarted worker finds it by its metadata instead of posting again), and
/// the review still works from it.
/// </summary>
public sealed class SlackCrashTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite, "before-commit:before:slack-post")]
    [InlineData(TestDatabase.Sqlite, "after-commit:before:slack-post")]
    [InlineData(TestDatabase.Sqlite, "after-perform:slack-post")]
    [InlineData(TestDatabase.Postgres, "after-perform:slack-post")]
    public async Task A_worker_killed_around_the_slack_post_posts_the_card_exactly_once(string engine, string crashAt)
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, slack.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));

        await using (var crashing = SiftProcess.StartWorker(database, crashAt, slack.Settings()))
        {
            Assert.True(await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"the worker did not reach {crashAt}");
            Assert.Equal(137, crashing.ExitCode); // 128 + SIGKILL: killed, not a clean exit
        }

        var postsBeforeRestart = slack.CallsOf("chat.postMessage").Count;
        Assert.Equal(crashAt == "after-perform:slack-post" ? 1 : 0, postsBeforeRestart);

        await using (SiftProcess.StartWorker(database, settings: slack.Settings()))
        {
            await host.WaitForAsync(id, d => d.Workflow.State == "waiting", timeoutSeconds: 60);
        }

        var post = Assert.Single(slack.CallsOf("chat.postMessage"));
        var waiting = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, waiting.Status);
        Assert.Single(waiting.Audit, a => a.Step == "slack-post");
        if (crashAt == "after-perform:slack-post")
        {
            // The restarted worker asked Slack before acting: the card it found is the one it would have posted.
            Assert.NotEmpty(slack.CallsOf("conversations.history"));
            Assert.Contains(waiting.Audit, a => a.Step == "slack-post" && a.Why!.Contains((string)post["ts"]!, StringComparison.Ordinal));
        }

        using (var click = await host.CreateClient().SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.ApproveAction, id), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Sent, (await host.GetAsync(id)).Status);
        Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
        Assert.Equal((string?)post["ts"], (string?)Assert.Single(slack.CallsOf("chat.update"))["ts"]);
    }

    [Fact]
    public async Task When_the_card_cannot_be_looked_for_after_a_crash_it_is_not_posted_again_and_the_review_goes_on()
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, slack.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));

        await using (var crashing = SiftProcess.StartWorker(database, "after-perform:slack-post", slack.Settings()))
        {
            Assert.True(await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60)), "the worker did not reach after-perform:slack-post");
        }

        // The app lacks channels:history: Sift cannot tell whether its card is there, so it must not post blind.
        slack.Script("conversations.history", 200, """{"ok":false,"error":"missing_scope","needed":"channels:history","provided":"chat:write"}""");
        await using (SiftProcess.StartWorker(database, settings: slack.Settings()))
        {
            await host.WaitForAsync(id, d => d.Workflow.State == "waiting", timeoutSeconds: 60);
        }

        Assert.Single(slack.CallsOf("chat.postMessage"));
        var waiting = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, waiting.Status);
        Assert.Contains(waiting.Audit, a => a.Step == "slack-post" && a.What.Contains("not posted", StringComparison.Ordinal) && a.Why!.Contains("missing_scope", StringComparison.Ordinal));

        // The card that did land still works; only its update is skipped, as Sift does not know where it is.
        using (var click = await host.CreateClient().SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.ApproveAction, id), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Sent, (await host.GetAsync(id)).Status);
        Assert.Empty(slack.CallsOf("chat.update"));
    }
}
