using System.Text.Json.Nodes;
using Sift.Approvals.Slack;
using Sift.Approvals.Teams;

namespace Sift.Tests.Unit.Approvals.Teams;

public sealed class TeamsCardsTests
{
    private static readonly DateTimeOffset Deadline = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    private static readonly Dictionary<string, Uri> Links = new()
    {
        [ApprovalLinkToken.Approve] = new("https://sift.contoso.example/approvals/a.1"),
        [ApprovalLinkToken.Edit] = new("https://sift.contoso.example/approvals/e.2"),
        [ApprovalLinkToken.Reject] = new("https://sift.contoso.example/approvals/r.3"),
    };

    private static SlackReviewCard Card(string subject = "Cannot log in", string draft = "Hello Lena,\n\nWe are on it.") => new()
    {
        MessageId = Guid.CreateVersion7(),
        Sender = "Lena <lena@example.com>",
        Subject = subject,
        Intent = "account_access",
        Urgency = "normal",
        Confidence = 0.71,
        Owner = "support-team",
        Deadline = Deadline,
        Why = ["intent: account_access is reviewed"],
        LintFindings = [],
        Draft = draft,
    };

    [Fact]
    public void The_envelope_is_the_one_the_workflows_webhook_documents()
    {
        var path = Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "fixtures", "teams", "incoming-webhook-adaptive-card.json"));
        if (!File.Exists(path))
        {
            Assert.Skip($"../shared/fixtures/teams/incoming-webhook-adaptive-card.json is not present (looked for {path}).");
        }

        var documented = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var ours = TeamsCards.ReviewCard(Card(), Links, Deadline.AddDays(1));

        Assert.Equal((string?)documented["type"], (string?)ours["type"]);
        var (theirs, mine) = (documented["attachments"]![0]!.AsObject(), Assert.Single(ours["attachments"]!.AsArray())!.AsObject());
        Assert.Equal((string?)theirs["contentType"], (string?)mine["contentType"]);
        Assert.True(mine.ContainsKey("contentUrl"));
        Assert.Null(mine["contentUrl"]);
        Assert.Equal((string?)theirs["content"]!["$schema"], (string?)mine["content"]!["$schema"]);
        Assert.Equal((string?)theirs["content"]!["type"], (string?)mine["content"]!["type"]);
        Assert.True(Version.Parse((string)mine["content"]!["version"]!) >= new Version(1, 4));
    }

    [Fact]
    public void The_buttons_open_the_signed_links_and_nothing_submits_to_teams()
    {
        var content = TeamsCards.ReviewCard(Card(), Links, Deadline.AddDays(1))["attachments"]![0]!["content"]!;
        var actions = content["actions"]!.AsArray();

        Assert.Equal(["Approve", "Edit", "Reject"], actions.Select(a => (string)a!["title"]!));
        Assert.All(actions, a => Assert.Equal("Action.OpenUrl", (string?)a!["type"]));
        Assert.Equal(Links.Values.Select(u => u.AbsoluteUri), actions.Select(a => (string)a!["url"]!));
    }

    [Fact]
    public void Mail_text_goes_in_text_runs_so_it_cannot_become_markdown_links()
    {
        const string subject = "[Reset here](https://evil.example) **now**";
        var body = TeamsCards.ReviewCard(Card(subject, draft: "See [this](https://evil.example)"), Links, Deadline.AddDays(1))["attachments"]![0]!["content"]!["body"]!.AsArray();

        Assert.DoesNotContain(body, b => (string?)b!["type"] == "TextBlock" && ((string?)b["text"])!.Contains("evil.example", StringComparison.Ordinal));
        var runs = body.Where(b => (string?)b!["type"] == "RichTextBlock").SelectMany(b => b!["inlines"]!.AsArray()).Select(i => (string)i!["text"]!).ToList();
        Assert.Contains(subject, runs);
        Assert.Contains("See [this](https://evil.example)", runs);
    }

    [Fact]
    public void A_long_draft_is_cut_on_the_card_and_says_where_the_whole_text_is()
    {
        var body = TeamsCards.ReviewCard(Card(draft: new string('x', TeamsCards.MaxDraftChars + 500)), Links, Deadline.AddDays(1))["attachments"]![0]!["content"]!["body"]!.AsArray();
        var draft = (string)body.Single(b => (string?)b!["id"] == "draft")!["inlines"]![0]!["text"]!;

        Assert.StartsWith(new string('x', TeamsCards.MaxDraftChars), draft, StringComparison.Ordinal);
        Assert.EndsWith("[…cut: the approval page shows the whole draft]", draft, StringComparison.Ordinal);
    }
}
