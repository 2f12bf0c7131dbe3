using System.Globalization;
using System.Text.Json.Nodes;

namespace Sift.Approvals.Slack;

/// <summary>
/// The Block Kit Sift posts: the review card, the card once decided, the edit modal and the SLA reminder. Every button has
/// its own <c>action_id</c> and carries the message id as its <c>value</c>, which is all an interaction needs to find the review.
/// Blocks are built as <see cref="JsonNode"/>s rather than records: Block Kit is a tree of a dozen loosely typed shapes, and
/// the literal form reads like Slack's own examples (and needs no reflection to serialize).
/// </summary>
public static class SlackMessages
{
    public const string ApproveAction = "sift_approve";
    public const string EditAction = "sift_edit";
    public const string RejectAction = "sift_reject";
    public const string ActionsBlock = "sift_review";

    /// <summary>The edit modal's callback id, and its one input's block and action ids.</summary>
    public const string EditCallback = "sift_edit";
    public const string DraftBlock = "draft";
    public const string DraftInput = "text";

    /// <summary>Slack's limits: 3000 characters of section text; a plain_text_input holds up to 3000 characters.</summary>
    private const int MaxSectionText = 3000;
    public const int MaxInputText = 3000;

    public static string Fallback(SlackReviewCard card) => $"Review needed: {card.Subject} (from {card.Sender})";

    public static JsonArray ReviewCard(SlackReviewCard card)
    {
        var blocks = Summary(card);
        blocks.Add(new JsonObject
        {
            ["type"] = "actions",
            ["block_id"] = ActionsBlock,
            ["elements"] = new JsonArray(
                Button("Approve", ApproveAction, card.MessageId, "primary"),
                Button("Edit", EditAction, card.MessageId, null),
                Button("Reject", RejectAction, card.MessageId, "danger")),
        });
        return blocks;
    }

    /// <summary>The card after the decision: the same summary, and who decided what instead of the buttons.</summary>
    public static JsonArray DecidedCard(SlackReviewCard card, string outcome)
    {
        var blocks = Summary(card);
        blocks.Add(new JsonObject
        {
            ["type"] = "context",
            ["elements"] = new JsonArray(new JsonObject { ["type"] = "mrkdwn", ["text"] = Escape(outcome) }),
        });
        return blocks;
    }

    /// <summary>"Approved by slack:U1 (ana) at 2026-12-01 10:00 UTC": what replaces the buttons.</summary>
    public static string Outcome(string action, string by, DateTimeOffset at, bool sent)
    {
        var verb = action switch
        {
            "approve" => "Approved",
            "edit" => "Edited",
            _ => "Rejected",
        };
        var when = at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);
        var what = action == "reject" ? "no reply is sent" : sent ? "the reply is being sent" : "the reply is not sent (dry-run)";
        return $"{verb} by {by} at {when}: {what}.";
    }

    /// <summary>
    /// The edit modal, prefilled with the draft; private_metadata carries the message id back on submit. Drafts longer than
    /// <see cref="MaxInputText"/> are not edited in Slack (a cut text would be sent cut).
    /// </summary>
    public static JsonObject EditModal(Guid messageId, string draft) => new()
    {
        ["type"] = "modal",
        ["callback_id"] = EditCallback,
        ["private_metadata"] = messageId.ToString(),
        ["title"] = Plain("Edit the reply"),
        ["submit"] = Plain("Send"),
        ["close"] = Plain("Cancel"),
        ["blocks"] = new JsonArray(new JsonObject
        {
            ["type"] = "input",
            ["block_id"] = DraftBlock,
            ["label"] = Plain("Reply"),
            ["element"] = new JsonObject
            {
                ["type"] = "plain_text_input",
                ["action_id"] = DraftInput,
                ["multiline"] = true,
                ["max_length"] = MaxInputText,
                ["initial_value"] = draft,
            },
        }),
    };

    /// <summary>The SLA reminder in the card's thread, naming the fallback owner (their channel when Sift knows it).</summary>
    public static string Reminder(string fromOwner, string toOwner, string? toChannel, DateTimeOffset missed) =>
        string.Create(CultureInfo.InvariantCulture,
            $":alarm_clock: No decision by {missed.UtcDateTime:yyyy-MM-dd HH:mm} UTC (owner {Escape(fromOwner)}). Escalated to {(toChannel is null ? Escape(toOwner) : $"{Escape(toOwner)} <#{toChannel}>")}: the buttons above still work.");

    private static JsonArray Summary(SlackReviewCard card)
    {
        var why = card.Why.Count == 0 ? "the policy asks for review" : string.Join("\n", card.Why.Select(w => "• " + Escape(w)));
        var lint = card.LintFindings.Count == 0 ? "passed" : string.Join("\n", card.LintFindings.Select(f => "• " + Escape(f)));
        return
        [
            new JsonObject
            {
                ["type"] = "section",
                ["text"] = Markdown(Cut($"*Review needed* for {Escape(card.Owner)}: *{Escape(card.Subject)}*\nFrom {Escape(card.Sender)}", MaxSectionText)),
            },
            new JsonObject
            {
                ["type"] = "section",
                ["fields"] = new JsonArray(
                    Markdown($"*Intent:*\n{Escape(card.Intent)}"),
                    Markdown($"*Urgency:*\n{Escape(card.Urgency)}"),
                    Markdown(string.Create(CultureInfo.InvariantCulture, $"*Confidence:*\n{card.Confidence:0.00}")),
                    Markdown(string.Create(CultureInfo.InvariantCulture, $"*Decide by:*\n{card.Deadline.UtcDateTime:yyyy-MM-dd HH:mm} UTC"))),
            },
            new JsonObject { ["type"] = "section", ["block_id"] = "why", ["text"] = Markdown(Cut($"*Why it needs review:*\n{why}", MaxSectionText)) },
            new JsonObject { ["type"] = "section", ["block_id"] = "lint", ["text"] = Markdown(Cut($"*Lint:*\n{lint}", MaxSectionText)) },
            new JsonObject { ["type"] = "divider" },
            new JsonObject { ["type"] = "section", ["block_id"] = "draft", ["text"] = Markdown($"*Draft:*\n```{Cut(Escape(card.Draft), MaxSectionText - 20)}```") },
        ];
    }

    private static JsonObject Button(string text, string actionId, Guid messageId, string? style)
    {
        var button = new JsonObject { ["type"] = "button", ["action_id"] = actionId, ["text"] = Plain(text), ["value"] = messageId.ToString() };
        if (style is not null)
        {
            button["style"] = style;
        }

        return button;
    }

    private static JsonObject Plain(string text) => new() { ["type"] = "plain_text", ["text"] = text };

    private static JsonObject Markdown(string text) => new() { ["type"] = "mrkdwn", ["text"] = text };

    /// <summary>Slack's three control characters, so that mail text cannot become a mention or a link.</summary>
    public static string Escape(string text) =>
        text.Replace("&", "&amp;", StringComparison.Ordinal).Replace("<", "&lt;", StringComparison.Ordinal).Replace(">", "&gt;", StringComparison.Ordinal);

    private static string Cut(string text, int max) => text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 8), " […cut]");
}
