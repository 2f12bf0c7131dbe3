using Sift.Approvals.Slack;

namespace Sift.Tests.Unit.Approvals.Slack;

public sealed class SlackMessagesTests
{
    private static readonly SlackReviewCard Card = new()
    {
        MessageId = Guid.Parse("0192f5a0-1234-7abc-8def-0123456789ab"),
        Sender = "Lena <lena@initech.example>",
        Subject = "Refund <@U123> please",
        Intent = "refund",
        Urgency = "high",
        Confidence = 0.72,
        Owner = "billing",
        Deadline = new DateTimeOffset(2026, 12, 1, 12, 0, 0, TimeSpan.Zero),
        Why = ["confidence: 0.72 is below 0.8"],
        LintFindings = ["commitment: promises a refund"],
        Draft = "Hello Lena, " + new string('x', 4000),
    };

    [Fact]
    public void The_card_has_three_buttons_with_their_own_action_ids_carrying_the_message_id()
    {
        var blocks = SlackMessages.ReviewCard(Card);
        var actions = blocks.Single(b => (string?)b!["type"] == "actions")!["elements"]!.AsArray();

        Assert.Equal([SlackMessages.ApproveAction, SlackMessages.EditAction, SlackMessages.RejectAction], actions.Select(a => (string)a!["action_id"]!));
        Assert.All(actions, a => Assert.Equal(Card.MessageId.ToString(), (string)a!["value"]!));
        Assert.Equal("primary", (string)actions[0]!["style"]!);
        Assert.Equal("danger", (string)actions[2]!["style"]!);
    }

    [Fact]
    public void Mail_text_is_escaped_and_the_draft_kept_within_slacks_section_limit()
    {
        var title = SlackMessages.ReviewCard(Card)[0]!["text"]!["text"]!.GetValue<string>();
        Assert.DoesNotContain("<@U123>", title, StringComparison.Ordinal);
        Assert.Contains("Refund &lt;@U123&gt; please", title, StringComparison.Ordinal);

        var draft = SlackMessages.ReviewCard(Card).Single(b => (string?)b!["block_id"] == "draft")!["text"]!["text"]!.GetValue<string>();
        Assert.True(draft.Length <= 3000, $"the draft section has {draft.Length} characters");
        Assert.Contains("[…cut]", draft, StringComparison.Ordinal);
    }

    [Fact]
    public void The_decided_card_has_no_buttons_and_says_who_decided_when()
    {
        var outcome = SlackMessages.Outcome("approve", "slack:W111 (ana)", new DateTimeOffset(2026, 12, 1, 10, 5, 0, TimeSpan.Zero), sent: true);
        var blocks = SlackMessages.DecidedCard(Card, outcome);

        Assert.DoesNotContain(blocks, b => (string?)b!["type"] == "actions");
        Assert.Equal("Approved by slack:W111 (ana) at 2026-12-01 10:05 UTC: the reply is being sent.", outcome);
        Assert.Contains(outcome, blocks.ToJsonString(), StringComparison.Ordinal);
    }

    [Fact]
    public void The_edit_modal_is_prefilled_and_carries_the_message_id()
    {
        var view = SlackMessages.EditModal(Card.MessageId, "Hello Lena");

        Assert.Equal(SlackMessages.EditCallback, (string)view["callback_id"]!);
        Assert.Equal(Card.MessageId.ToString(), (string)view["private_metadata"]!);
        var input = view["blocks"]![0]!;
        Assert.Equal(SlackMessages.DraftBlock, (string)input["block_id"]!);
        Assert.Equal("Hello Lena", (string)input["element"]!["initial_value"]!);
    }
}
