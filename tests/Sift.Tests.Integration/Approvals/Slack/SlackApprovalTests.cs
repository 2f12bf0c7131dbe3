using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sift.Approvals.Slack;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Approvals.Slack;

/// <summary>
/// Reviews in Slack through the whole host: the card posted to the owner's channel, signed clicks and modal submissions
/// that resume the workflow, the card updated after the decision, and every refusal of what Slack did not sign.
/// </summary>
public sealed class SlackApprovalTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_review_is_posted_to_the_owners_channel_and_a_signed_approve_sends_the_reply_and_updates_the_card(string engine)
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, slack.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();

        var waiting = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, waiting.Status);
        var post = Assert.Single(slack.CallsOf("chat.postMessage"));
        Assert.Equal(FakeSlack.SupportChannel, (string?)post["channel"]);
        Assert.Equal($"slack-post:{id:N}", (string?)post["metadata"]!["event_payload"]!["idempotency_key"]);
        var blocks = post["blocks"]!.AsArray();
        var buttons = blocks.Single(b => (string?)b!["type"] == "actions")!["elements"]!.AsArray();
        Assert.Equal([SlackMessages.ApproveAction, SlackMessages.EditAction, SlackMessages.RejectAction], buttons.Select(b => (string)b!["action_id"]!));
        Assert.All(buttons, b => Assert.Equal(id.ToString(), (string?)b!["value"]));
        var draftText = Text(blocks, "draft");
        Assert.Contains(SlackMessages.Escape(waiting.Draft!.DraftText.Split('\n')[0]), draftText, StringComparison.Ordinal);
        Assert.StartsWith("*Lint:*", Text(blocks, "lint"), StringComparison.Ordinal);
        Assert.Contains(waiting.Decision.Explanation[0].Reason, Text(blocks, "why").Replace("&gt;", ">", StringComparison.Ordinal).Replace("&lt;", "<", StringComparison.Ordinal).Replace("&amp;", "&", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Contains(waiting.Audit, a => a.Step == "slack-post" && a.What.Contains(FakeSlack.SupportChannel, StringComparison.Ordinal));

        var client = host.CreateClient();
        using (var click = await client.SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.ApproveAction, id), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
            Assert.Equal(string.Empty, await click.Content.ReadAsStringAsync());
        }

        await host.RunWorkflowsAsync();
        var sent = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("slack:W111 (primary-owner)", sent.Draft!.Approver);
        Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
        var update = Assert.Single(slack.CallsOf("chat.update"));
        Assert.Equal((string?)post["ts"], (string?)update["ts"]);
        Assert.Equal(FakeSlack.SupportChannel, (string?)update["channel"]);
        Assert.DoesNotContain(update["blocks"]!.AsArray(), b => (string?)b!["type"] == "actions");
        Assert.StartsWith("Approved by slack:W111 (primary-owner) at ", (string?)update["text"], StringComparison.Ordinal);

        // A double click arrives after the decision: nothing changes, and the clicker is told why.
        using (var again = await client.SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.ApproveAction, id, actionTs: "1764583301.000002"), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        }

        var note = Assert.Single(slack.Responses);
        Assert.Equal("ephemeral", (string?)note["response_type"]);
        Assert.Contains("Nothing was changed", (string?)note["text"], StringComparison.Ordinal);
        Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Edit_opens_a_prefilled_modal_and_its_submission_sends_the_edited_text(string engine)
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, slack.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var waiting = await host.GetAsync(id);
        var client = host.CreateClient();

        using (var click = await client.SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.EditAction, id), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }

        var open = Assert.Single(slack.CallsOf("views.open"));
        Assert.Equal("111.222.valid", (string?)open["trigger_id"]);
        Assert.Equal(id.ToString(), (string?)open["view"]!["private_metadata"]);
        Assert.Equal(waiting.Draft!.DraftText, (string?)open["view"]!["blocks"]![0]!["element"]!["initial_value"]);

        using (var empty = await client.SendAsync(FakeSlack.Signed(FakeSlack.Submit(id, "  "), TimeProvider.System.GetUtcNow())))
        {
            var answer = JsonNode.Parse(await empty.Content.ReadAsStringAsync())!;
            Assert.Equal("errors", (string?)answer["response_action"]);
            Assert.Contains("empty", (string?)answer["errors"]![SlackMessages.DraftBlock], StringComparison.Ordinal);
        }

        const string edited = "Hello Lena,\n\nThanks for writing. We have reset your access; please try again.\n\nContoso Support";
        using (var submit = await client.SendAsync(FakeSlack.Signed(FakeSlack.Submit(id, edited), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, submit.StatusCode);
            Assert.Equal("clear", (string?)JsonNode.Parse(await submit.Content.ReadAsStringAsync())!["response_action"]);
        }

        await host.RunWorkflowsAsync();
        var sent = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("edit", sent.Draft!.Decision);
        Assert.Equal(edited, sent.Draft.SentText);
        var eml = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml")));
        Assert.Contains("We have reset your access", eml, StringComparison.Ordinal);
        Assert.StartsWith("Edited by slack:W111 (primary-owner)", (string?)Assert.Single(slack.CallsOf("chat.update"))["text"], StringComparison.Ordinal);

        // The same modal submitted again (a second browser tab): the modal shows why nothing changed.
        using var late = await client.SendAsync(FakeSlack.Signed(FakeSlack.Submit(id, edited + " again"), TimeProvider.System.GetUtcNow()));
        var lateAnswer = JsonNode.Parse(await late.Content.ReadAsStringAsync())!;
        Assert.Equal("errors", (string?)lateAnswer["response_action"]);
        Assert.Contains("Nothing was changed", (string?)lateAnswer["errors"]![SlackMessages.DraftBlock], StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expired_trigger_or_a_decided_message_tells_the_clicker_instead_of_opening_the_editor()
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, slack.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var client = host.CreateClient();

        slack.Script("views.open", 200, """{"ok":false,"error":"trigger_expired"}""");
        using (var click = await client.SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.EditAction, id), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }

        var expired = Assert.Single(slack.Responses);
        Assert.Contains("trigger_expired", (string?)expired["text"], StringComparison.Ordinal);
        Assert.Contains("Click Edit again", (string?)expired["text"], StringComparison.Ordinal);

        using (var decision = await host.DecideAsync(id, "reject"))
        {
            Assert.Equal(HttpStatusCode.Accepted, decision.StatusCode);
        }

        await host.RunWorkflowsAsync();
        using (var late = await client.SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.EditAction, id, actionTs: "1764583302.000003"), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, late.StatusCode);
        }

        Assert.Single(slack.CallsOf("views.open"));
        Assert.Equal(2, slack.Responses.Count);
        Assert.Contains("Nothing to edit", (string?)slack.Responses.Last()["text"], StringComparison.Ordinal);
        Assert.Contains("'rejected'", (string?)slack.Responses.Last()["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Reject_records_no_reply_and_the_card_says_who_rejected()
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, slack.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();

        using (var click = await host.CreateClient().SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.RejectAction, id), TimeProvider.System.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Rejected, (await host.GetAsync(id)).Status);
        Assert.Empty(Directory.Exists(database.OutboxFolder) ? Directory.GetFiles(database.OutboxFolder, "*.eml") : []);
        Assert.StartsWith("Rejected by slack:W111 (primary-owner)", (string?)Assert.Single(slack.CallsOf("chat.update"))["text"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Forged_stale_replayed_and_malformed_interactions_are_refused_and_change_nothing()
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, slack.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var client = host.CreateClient();
        var now = TimeProvider.System.GetUtcNow();
        var approve = slack.Click(SlackMessages.ApproveAction, id);

        await AssertProblemAsync(client, FakeSlack.Signed(approve, now, secret: "not-the-signing-secret"), HttpStatusCode.Unauthorized, "does not match");
        await AssertProblemAsync(client, FakeSlack.Signed(approve, now - TimeSpan.FromMinutes(6)), HttpStatusCode.Unauthorized, "stale");
        var unsigned = FakeSlack.Signed(approve, now);
        unsigned.Headers.Remove(SlackSignature.SignatureHeader);
        await AssertProblemAsync(client, unsigned, HttpStatusCode.Unauthorized, "headers are required");

        var tampered = FakeSlack.Signed(approve, now);
        var signature = tampered.Headers.GetValues(SlackSignature.SignatureHeader).Single();
        var forged = FakeSlack.Signed(slack.Click(SlackMessages.RejectAction, id), now);
        forged.Headers.Remove(SlackSignature.SignatureHeader);
        forged.Headers.Add(SlackSignature.SignatureHeader, signature);
        await AssertProblemAsync(client, forged, HttpStatusCode.Unauthorized, "does not match");

        var malformed = JsonNode.Parse(approve)!.AsObject();
        malformed["actions"]![0]!["action_id"] = "a";
        await AssertProblemAsync(client, FakeSlack.Signed(malformed.ToJsonString(), now), HttpStatusCode.BadRequest, "payload.actions[0].action_id");
        await AssertProblemAsync(client, FakeSlack.Signed("{\"type\":", now), HttpStatusCode.BadRequest, "payload");
        Assert.Equal(MessageStatus.AwaitingReview, (await host.GetAsync(id)).Status);

        // The genuine request, then the very same request played back: the second is refused although its signature is valid.
        var genuine = FakeSlack.Signed(approve, now);
        var replay = FakeSlack.Signed(approve, now);
        using (var first = await client.SendAsync(genuine))
        {
            Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        }

        await AssertProblemAsync(client, replay, HttpStatusCode.Unauthorized, "already received");
        Assert.Empty(slack.Responses);
    }

    [Fact]
    public async Task A_passed_deadline_reminds_in_the_cards_thread_naming_the_fallback_channel_and_a_later_click_still_counts()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, slack.Settings(), s => s.AddSingleton<TimeProvider>(time));
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var post = Assert.Single(slack.CallsOf("chat.postMessage"));

        time.Advance(TimeSpan.FromMinutes(241));
        Assert.Equal(1, await host.RunWorkflowsAsync());

        var posts = slack.CallsOf("chat.postMessage");
        Assert.Equal(2, posts.Count);
        var reminder = posts[1];
        Assert.Equal((string?)post["ts"], (string?)reminder["thread_ts"]);
        Assert.Equal(FakeSlack.SupportChannel, (string?)reminder["channel"]);
        Assert.Contains($"<#{FakeSlack.LeadChannel}>", (string?)reminder["text"], StringComparison.Ordinal);
        Assert.Contains("support-lead", (string?)reminder["text"], StringComparison.Ordinal);

        using (var click = await host.CreateClient().SendAsync(FakeSlack.Signed(slack.Click(SlackMessages.ApproveAction, id), time.GetUtcNow())))
        {
            Assert.Equal(HttpStatusCode.OK, click.StatusCode);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Sent, (await host.GetAsync(id)).Status);
        Assert.Equal((string?)post["ts"], (string?)Assert.Single(slack.CallsOf("chat.update"))["ts"]);
    }

    [Fact]
    public async Task A_slack_rate_limit_is_named_and_the_review_goes_on_in_the_console_without_dead_lettering()
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, slack.Settings());

        slack.Script("chat.postMessage", 429, """{"ok":false,"error":"ratelimited"}""", retryAfter: "3");
        var limited = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();

        // Slack is a convenience, never a dependency: the draft waits in the console, the audit says why.
        var waiting = await host.GetAsync(limited);
        Assert.Equal(("waiting", MessageStatus.AwaitingReview), (waiting.Workflow.State, waiting.Status));
        Assert.Contains(waiting.Audit, a => a.Step == "slack-post" && a.What.Contains("not posted", StringComparison.Ordinal) && a.Why!.Contains("rate limited", StringComparison.Ordinal));
        Assert.Single(slack.CallsOf("chat.postMessage"));

        using (await host.DecideAsync(limited, "approve")) { }
        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Sent, (await host.GetAsync(limited)).Status);
        Assert.Empty(slack.CallsOf("chat.update"));
    }

    [Fact]
    public async Task A_slack_error_no_retry_can_fix_is_named_and_the_review_goes_on_in_the_console()
    {
        await using var slack = await FakeSlack.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, slack.Settings());

        slack.Script("chat.postMessage", 200, """{"ok":false,"error":"channel_not_found"}""");
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();

        var waiting = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, waiting.Status);
        Assert.Equal("waiting", waiting.Workflow.State);
        Assert.Contains(waiting.Audit, a => a.Step == "slack-post" && a.What.Contains("not posted", StringComparison.Ordinal) && a.Why!.Contains("channel_not_found", StringComparison.Ordinal));
        using (var decision = await host.DecideAsync(id, "approve"))
        {
            Assert.Equal(HttpStatusCode.Accepted, decision.StatusCode);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Sent, (await host.GetAsync(id)).Status);
        Assert.Empty(slack.CallsOf("chat.update"));
    }

    [Fact]
    public async Task A_partial_slack_configuration_stops_the_host_naming_the_missing_key()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Slack:BotToken"] = "xoxb-1", ["Sift:Slack:Channels:support-team"] = "C1" });
        var error = Assert.ThrowsAny<Exception>(() => host.Services);
        Assert.Contains("Sift:Slack:SigningSecret is missing", error.ToString(), StringComparison.Ordinal);
    }

    private static string Text(JsonArray blocks, string blockId) =>
        blocks.Single(b => (string?)b!["block_id"] == blockId)!["text"]!["text"]!.GetValue<string>();

    private static async Task AssertProblemAsync(HttpClient client, HttpRequestMessage request, HttpStatusCode status, string detail)
    {
        using (request)
        using (var response = await client.SendAsync(request))
        {
            Assert.Equal(status, response.StatusCode);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
            var body = await response.Content.ReadAsStringAsync();
            Assert.Contains(detail, body, StringComparison.Ordinal);
        }
    }
}
