using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Sift.Api;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Api;

/// <summary>Human edits are kept: the edit distance on each decided draft, the summary per intent and template, the examples.</summary>
public sealed class FeedbackTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Each_decision_keeps_the_draft_the_sent_text_and_the_edit_distance_per_intent_and_template(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var approved = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        var edited = await host.IngestAsync(TestMail.Sample("02-sales.eml"));
        var rejected = await host.IngestAsync(TestMail.Sample("05-partner.eml"));
        await host.RunWorkflowsAsync();
        var salesDraft = (await host.GetAsync(edited)).Draft!.DraftText;
        var salesSent = salesDraft.Replace("Best regards", "Kind regards, call me on +1 415 555 0100", StringComparison.Ordinal);
        Assert.NotEqual(salesDraft, salesSent);

        using (await host.DecideAsync(approved, "approve")) { }
        using (await host.DecideAsync(edited, "edit", salesSent)) { }
        using (await host.DecideAsync(rejected, "reject")) { }
        await host.RunWorkflowsAsync();

        var sales = (await host.GetAsync(edited)).Draft!;
        var expected = Sift.Drafting.EditDistance.Measure(salesDraft, salesSent);
        Assert.Equal((salesDraft, salesSent, "edit"), (sales.DraftText, sales.SentText, sales.Decision));
        Assert.Equal(expected.Distance, sales.EditDistance);
        Assert.True(sales.EditDistance > 0);
        Assert.Equal(0, (await host.GetAsync(approved)).Draft!.EditDistance);
        Assert.Null((await host.GetAsync(rejected)).Draft!.EditDistance);

        // The lint runs on the reviewer's text too: a phone number from nowhere is recorded with the send, which a person decided.
        var send = (await host.GetAsync(edited)).Audit.Single(a => a.Step == "send");
        Assert.Contains("lint on the reviewer's edited text (sent because a person decided)", send.Why, StringComparison.Ordinal);
        Assert.Contains("+1 415 555 0100", send.Why, StringComparison.Ordinal);
        Assert.Contains("lint passed", (await host.GetAsync(approved)).Audit.Single(a => a.Step == "send").Why, StringComparison.Ordinal);

        var summary = (await host.CreateClient().GetFromJsonAsync<EditSummary>(new Uri("/api/feedback/edits?since=2020-01-01", UriKind.Relative), Ct))!;
        var groups = summary.Groups.ToDictionary(g => g.Intent);
        Assert.Equal((1L, 1L, 0L, 0L, 0.0), (groups["support"].Decided, groups["support"].Approved, groups["support"].Edited, groups["support"].Rejected, groups["support"].MeanEditRatio!.Value));
        Assert.Equal(("sales-v1", 1L, 1L), (groups["sales"].Template, groups["sales"].Decided, groups["sales"].Edited));
        Assert.Equal(Math.Round(expected.Ratio, 3), groups["sales"].MeanEditRatio);
        Assert.Equal((1L, (double?)null), (groups["partner"].Rejected, groups["partner"].MeanEditRatio));

        var lines = (await host.CreateClient().GetStringAsync(new Uri("/api/feedback/examples?since=2020-01-01", UriKind.Relative), Ct))
            .Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var example = JsonSerializer.Deserialize<FeedbackExample>(Assert.Single(lines), JsonSerializerOptions.Web)!;
        Assert.Equal((edited, "sales", "edit", true), (example.MessageId, example.Intent, example.Decision, example.Redacted));
        Assert.Contains("[PHONE_1]", example.Sent, StringComparison.Ordinal);
        Assert.DoesNotContain("555 0100", example.Sent, StringComparison.Ordinal);

        var raw = await host.CreateClient().GetStringAsync(new Uri("/api/feedback/examples?since=2020-01-01&redact=false&edited=false", UriKind.Relative), Ct);
        Assert.Equal(3, raw.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length);
        Assert.Contains("555 0100", raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/api/feedback/edits?since=yesterday", "since")]
    [InlineData("/api/feedback/examples?since=soon", "since")]
    [InlineData("/api/feedback/examples?limit=0", "limit")]
    public async Task Bad_parameters_get_problem_details_naming_them(string url, string field)
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);

        using var response = await host.CreateClient().GetAsync(new Uri(url, UriKind.Relative), Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains($"\"{field}\"", await response.Content.ReadAsStringAsync(Ct), StringComparison.Ordinal);
    }
}
