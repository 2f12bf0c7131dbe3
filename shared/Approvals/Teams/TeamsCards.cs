using System.Globalization;
using System.Text.Json.Nodes;
using Sift.Approvals.Slack;

namespace Sift.Approvals.Teams;

/// <summary>
/// The Adaptive Cards Sift posts through a Workflows webhook, in the webhook's documented envelope. Text that comes from
/// the mail (sender, subject, draft, reasons) goes in <c>TextRun</c>s, which Teams does not read as markdown, so that a
/// mail cannot put a link or formatting of its own on the card.
/// </summary>
public static class TeamsCards
{
    public const string CardContentType = "application/vnd.microsoft.card.adaptive";

    /// <summary>Teams refuses messages over about 28 KB: a long draft is cut on the card (the approval page shows all of it).</summary>
    public const int MaxDraftChars = 12_000;

    /// <summary>The review card; <paramref name="headline"/> replaces the title (the SLA escalation says why it is posted again).</summary>
    public static JsonObject ReviewCard(SlackReviewCard card, IReadOnlyDictionary<string, Uri> links, DateTimeOffset linksExpireAt, string? headline = null)
    {
        var confidence = card.Confidence.ToString("0.00", CultureInfo.InvariantCulture);
        var body = new JsonArray
        {
            Heading(headline ?? "Reply waiting for review", "Large"),
            Line("From", card.Sender, "sender"),
            Line("Subject", card.Subject, "subject"),
            Line("Intent", $"{card.Intent} · urgency {card.Urgency} · confidence {confidence}", "classification"),
            Line("Owner", $"{card.Owner} · decide by {card.Deadline.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}", "owner"),
            Heading("Why it needs review"),
            Plain("why", card.Why.Count == 0 ? "(no reason recorded)" : string.Join("\n", card.Why.Select(w => "• " + w))),
            Heading("Lint"),
            Plain("lint", card.LintFindings.Count == 0 ? "passed" : string.Join("\n", card.LintFindings.Select(f => "• " + f))),
            Heading("Draft"),
            Plain("draft", card.Draft.Length <= MaxDraftChars ? card.Draft : string.Concat(card.Draft.AsSpan(0, MaxDraftChars), "\n[…cut: the approval page shows the whole draft]")),
            new JsonObject
            {
                ["type"] = "TextBlock",
                ["id"] = "links",
                ["text"] = $"Each button opens a confirmation page in the browser; nothing happens until you confirm there. The links work once, until {linksExpireAt.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture)}.",
                ["wrap"] = true,
                ["isSubtle"] = true,
                ["size"] = "Small",
            },
        };
        var actions = new JsonArray
        {
            OpenUrl("Approve", links[ApprovalLinkToken.Approve], "positive"),
            OpenUrl("Edit", links[ApprovalLinkToken.Edit], "default"),
            OpenUrl("Reject", links[ApprovalLinkToken.Reject], "destructive"),
        };
        return Envelope(body, actions, $"Review: {card.Subject}");
    }

    /// <summary>The follow-up after a decision: a Workflows post cannot be changed, so the decision is a new, short card.</summary>
    public static JsonObject DecisionCard(string subject, string outcome) =>
        Envelope([Heading("Review decided"), Line("Subject", subject, "subject"), Plain("outcome", outcome)], [], outcome);

    private static JsonObject Envelope(JsonArray body, JsonArray actions, string speak)
    {
        var content = new JsonObject
        {
            ["$schema"] = "http://adaptivecards.io/schemas/adaptive-card.json",
            ["type"] = "AdaptiveCard",
            ["version"] = "1.4",
            ["speak"] = speak,
            ["body"] = body,
        };
        if (actions.Count > 0)
        {
            content["actions"] = actions;
        }

        return new JsonObject
        {
            ["type"] = "message",
            ["attachments"] = new JsonArray
            {
                new JsonObject { ["contentType"] = CardContentType, ["contentUrl"] = null, ["content"] = content },
            },
        };
    }

    private static JsonObject Heading(string text, string size = "Medium") =>
        new() { ["type"] = "TextBlock", ["text"] = text, ["weight"] = "Bolder", ["size"] = size, ["wrap"] = true };

    private static JsonObject Plain(string id, string text) => new()
    {
        ["type"] = "RichTextBlock",
        ["id"] = id,
        ["inlines"] = new JsonArray { new JsonObject { ["type"] = "TextRun", ["text"] = text } },
    };

    private static JsonObject Line(string label, string value, string id) => new()
    {
        ["type"] = "RichTextBlock",
        ["id"] = id,
        ["inlines"] = new JsonArray
        {
            new JsonObject { ["type"] = "TextRun", ["text"] = label + ": ", ["weight"] = "Bolder" },
            new JsonObject { ["type"] = "TextRun", ["text"] = value },
        },
    };

    private static JsonObject OpenUrl(string title, Uri url, string style) =>
        new() { ["type"] = "Action.OpenUrl", ["title"] = title, ["url"] = url.AbsoluteUri, ["style"] = style };
}
