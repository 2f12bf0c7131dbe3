using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Sift.Classification;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Api;

/// <summary>The whole pipeline through the HTTP API, with the background workers, on both engines.</summary>
public sealed class PipelineTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Sample_mailbox_reaches_every_path_and_reviews_resume_the_workflow(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Roles"] = "api,worker" });

        var ids = new Dictionary<string, Guid>();
        foreach (var file in TestMail.SampleFiles())
        {
            ids[file] = await host.IngestAsync(TestMail.Sample(file));
        }

        var triaged = new Dictionary<string, string>();
        foreach (var (file, id) in ids)
        {
            var detail = await host.WaitForAsync(id, d => d.Status is not (MessageStatus.Received or MessageStatus.Processing));
            triaged[file] = detail.Status;
            Assert.NotEmpty(detail.Audit);
            Assert.Equal("received", detail.Audit[0].What);
        }

        Assert.Equal(MessageStatus.AwaitingReview, triaged["01-support.eml"]);
        Assert.Equal(MessageStatus.AwaitingReview, triaged["02-sales.eml"]);
        Assert.Equal(MessageStatus.AutoSent, triaged["03-scheduling.eml"]);
        Assert.Equal(MessageStatus.AutoSent, triaged["04-pricing.eml"]);
        Assert.Equal(MessageStatus.AwaitingReview, triaged["05-partner.eml"]);
        Assert.Equal(MessageStatus.AwaitingReview, triaged["06-vip.eml"]);
        Assert.Equal(MessageStatus.Assigned, triaged["07-complaint.eml"]);
        Assert.Equal(MessageStatus.Filtered, triaged["08-bounce.eml"]);
        Assert.Equal(MessageStatus.Filtered, triaged["09-out-of-office.eml"]);
        Assert.Equal(MessageStatus.Filtered, triaged["10-newsletter.eml"]);

        var vip = await host.GetAsync(ids["06-vip.eml"]);
        Assert.Contains(vip.Decision.Explanation, m => m.Rule == "vip" && m.Effect == "review");
        Assert.Contains("vip", vip.Classification.PolicyFlags);
        Assert.NotNull(vip.Draft);
        Assert.Null(vip.Draft.Decision);

        using (var approve = await host.DecideAsync(ids["01-support.eml"], "approve"))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, approve.StatusCode);
        }

        using (await host.DecideAsync(ids["02-sales.eml"], "edit", "Hi Omar, thanks! Our sales lead will call you today.")) { }
        using (await host.DecideAsync(ids["05-partner.eml"], "reject")) { }

        var approved = await host.WaitForAsync(ids["01-support.eml"], d => d.Status == MessageStatus.Sent);
        Assert.Equal("approve", approved.Draft!.Decision);
        Assert.Equal("reviewer@contoso.example", approved.Draft.Approver);
        Assert.Equal(approved.Draft.DraftText, approved.Draft.SentText);

        var edited = await host.WaitForAsync(ids["02-sales.eml"], d => d.Status == MessageStatus.Sent);
        Assert.Equal("Hi Omar, thanks! Our sales lead will call you today.", edited.Draft!.SentText);

        var rejected = await host.WaitForAsync(ids["05-partner.eml"], d => d.Status == MessageStatus.Rejected);
        Assert.Null(rejected.Draft!.SentText);

        // Two auto-sends and two approved replies, each written once; nothing for the filtered, assigned, rejected or waiting mail.
        var outbox = Directory.GetFiles(database.OutboxFolder, "*.eml").Select(f => Path.GetFileName(f)).Order(StringComparer.Ordinal).ToList();
        var expected = new[] { "01-support.eml", "02-sales.eml", "03-scheduling.eml", "04-pricing.eml" }
            .Select(f => $"send_{ids[f]:N}.eml").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(expected, outbox);

        var editedReply = await File.ReadAllTextAsync(Path.Combine(database.OutboxFolder, $"send_{ids["02-sales.eml"]:N}.eml"));
        Assert.Contains("Our sales lead will call you today.", editedReply, StringComparison.Ordinal);
        Assert.DoesNotContain("Auto-Submitted", editedReply, StringComparison.Ordinal);
        var autoReply = await File.ReadAllTextAsync(Path.Combine(database.OutboxFolder, $"send_{ids["03-scheduling.eml"]:N}.eml"));
        Assert.Contains("Auto-Submitted: auto-replied", autoReply, StringComparison.Ordinal);
        Assert.Contains("In-Reply-To: <", autoReply, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Every_decision_explains_itself_with_the_policy_version_and_model(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();

        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        Assert.True(detail.AutoSent);
        Assert.Equal("auto", detail.Decision.Route);
        Assert.Equal("pricing", detail.Classification.Intent);
        Assert.Contains(detail.Decision.Explanation, m => m.Rule == "intent-autonomy");
        var route = Assert.Single(detail.Audit, a => a.Step == "route");
        Assert.StartsWith("sha256:", route.PolicyVersion, StringComparison.Ordinal);
        var classify = Assert.Single(detail.Audit, a => a.Step == "classify-local");
        // The shipped local model's content hash: the audit names the exact model that decided.
        Assert.Equal(host.Services.GetRequiredService<LocalClassifier>().Version, classify.ModelVersion);
        Assert.StartsWith("local-", classify.ModelVersion, StringComparison.Ordinal);
        Assert.Equal(
            ["ingest", "prefilter", "classify-local", "route", "loop-guard", "draft", "draft-plan", "send-gate", "send", "log"],
            detail.Audit.Select(a => a.Step).ToArray());
        Assert.Equal("completed", detail.Workflow.State);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_list_filters_by_status_and_pages_with_a_cursor(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        foreach (var file in TestMail.SampleFiles())
        {
            await host.IngestAsync(TestMail.Sample(file));
        }

        await host.RunWorkflowsAsync();
        var client = host.CreateClient();

        var filtered = await client.GetFromJsonAsync<Sift.Api.MessagePage>(new Uri("/api/messages?status=filtered", UriKind.Relative));
        Assert.Equal(3, filtered!.Items.Count);
        Assert.All(filtered.Items, i => Assert.Equal(MessageStatus.Filtered, i.Status));

        var seen = new List<Guid>();
        string? cursor = null;
        do
        {
            var page = await client.GetFromJsonAsync<Sift.Api.MessagePage>(new Uri($"/api/messages?limit=4{(cursor is null ? string.Empty : "&cursor=" + cursor)}", UriKind.Relative));
            seen.AddRange(page!.Items.Select(i => i.Id));
            cursor = page.NextCursor;
        }
        while (cursor is not null);

        Assert.Equal(10, seen.Count);
        Assert.Equal(10, seen.Distinct().Count());
        Assert.Equal(seen.OrderDescending().ToList(), seen);
    }

    [Fact]
    public async Task Dry_run_decides_and_records_everything_and_sends_nothing()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Policy:DryRun"] = "true" });
        var auto = await host.IngestAsync(TestMail.Sample("03-scheduling.eml"));
        var review = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        using (await host.DecideAsync(review, "approve")) { }
        await host.RunWorkflowsAsync();

        foreach (var id in new[] { auto, review })
        {
            var detail = await host.GetAsync(id);
            Assert.Equal(MessageStatus.DryRun, detail.Status);
            Assert.Contains(detail.Decision.Explanation, m => m.Rule == "dry-run");
            Assert.Single(detail.Audit, a => a.What == "send suppressed");
            Assert.NotNull(detail.Draft);
        }

        Assert.False(Directory.Exists(database.OutboxFolder) && Directory.GetFiles(database.OutboxFolder).Length > 0);
    }

    [Fact]
    public async Task The_kill_switch_turns_every_auto_send_into_a_review()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Policy:KillSwitch"] = "true" });
        var id = await host.IngestAsync(TestMail.Sample("03-scheduling.eml"));
        await host.RunWorkflowsAsync();

        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, detail.Status);
        Assert.Equal("review", detail.Decision.Route);
        Assert.Contains(detail.Decision.Explanation, m => m.Rule == "kill-switch");
        Assert.False(Directory.Exists(database.OutboxFolder) && Directory.GetFiles(database.OutboxFolder).Length > 0);
    }
}
