using System.Text.Json.Nodes;
using Sift.Approvals.Slack;

namespace Sift.Tests.Unit.Approvals.Slack;

/// <summary>Slack's documented block_actions and view_submission payloads, read into decisions.</summary>
public sealed class SlackInteractionTests
{
    private static readonly Guid MessageId = Guid.Parse("0192f5a0-1234-7abc-8def-0123456789ab");

    [Theory]
    [InlineData(SlackMessages.ApproveAction, SlackCommandKind.Approve)]
    [InlineData(SlackMessages.RejectAction, SlackCommandKind.Reject)]
    [InlineData(SlackMessages.EditAction, SlackCommandKind.OpenEditor)]
    public void A_click_on_one_of_Sifts_buttons_becomes_its_command(string actionId, SlackCommandKind kind)
    {
        var payload = SlackFixtures.Json("block-actions-payload.json");
        var action = payload["actions"]![0]!;
        action["action_id"] = actionId;
        action["value"] = MessageId.ToString();

        var command = SlackInteraction.Read(payload.ToJsonString()).Command;

        Assert.NotNull(command);
        Assert.Equal(kind, command.Kind);
        Assert.Equal(MessageId, command.MessageId);
        Assert.Equal("slack:W111 (primary-owner)", command.By);
        Assert.Equal("111.222.valid", command.TriggerId);
        Assert.Equal("https://hooks.slack.com/actions/T111/111/random-value", command.ResponseUrl);
    }

    [Fact]
    public void The_fixtures_own_button_is_not_one_of_Sifts_and_is_refused_naming_the_field()
    {
        var result = SlackInteraction.Read(SlackFixtures.Read("block-actions-payload.json"));

        Assert.Null(result.Command);
        Assert.Equal("payload.actions[0].action_id", result.Field);
        Assert.Contains("'a'", result.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_button_whose_value_is_not_a_message_id_is_refused()
    {
        var payload = SlackFixtures.Json("block-actions-payload.json");
        payload["actions"]![0]!["action_id"] = SlackMessages.ApproveAction;

        var result = SlackInteraction.Read(payload.ToJsonString());

        Assert.Equal("payload.actions[0].value", result.Field);
    }

    [Fact]
    public void A_submitted_edit_modal_becomes_an_edit_with_the_typed_text()
    {
        var payload = SlackFixtures.Json("view-submission-payload.json");
        var view = payload["view"]!.AsObject();
        view["callback_id"] = SlackMessages.EditCallback;
        view["private_metadata"] = MessageId.ToString();
        view["state"] = new JsonObject
        {
            ["values"] = new JsonObject
            {
                [SlackMessages.DraftBlock] = new JsonObject { [SlackMessages.DraftInput] = new JsonObject { ["type"] = "plain_text_input", ["value"] = "Hello Lena,\nthe edited reply." } },
            },
        };

        var command = SlackInteraction.Read(payload.ToJsonString()).Command;

        Assert.NotNull(command);
        Assert.Equal(SlackCommandKind.SubmitEdit, command.Kind);
        Assert.Equal(MessageId, command.MessageId);
        Assert.Equal("slack:W111 (primary-owner)", command.By);
        Assert.Equal("Hello Lena,\nthe edited reply.", command.Text);
    }

    [Fact]
    public void The_fixtures_own_modal_is_not_Sifts_edit_modal_and_is_refused_naming_the_field()
    {
        var result = SlackInteraction.Read(SlackFixtures.Read("view-submission-payload.json"));
        Assert.Equal("payload.view.callback_id", result.Field);

        var payload = SlackFixtures.Json("view-submission-payload.json");
        payload["view"]!["callback_id"] = SlackMessages.EditCallback;
        Assert.Equal("payload.view.private_metadata", SlackInteraction.Read(payload.ToJsonString()).Field);

        payload["view"]!["private_metadata"] = MessageId.ToString();
        Assert.Equal("payload.view.state.values.draft.text", SlackInteraction.Read(payload.ToJsonString()).Field);
    }

    [Theory]
    [InlineData("{not json", "payload")]
    [InlineData("""{"type":"block_actions","actions":[]}""", "payload.user.id")]
    [InlineData("""{"type":"block_actions","user":{"id":"U1"},"actions":[]}""", "payload.actions")]
    [InlineData("""{"user":{"id":"U1"}}""", "payload.type")]
    public void A_malformed_payload_names_what_is_wrong(string json, string field) =>
        Assert.Equal(field, SlackInteraction.Read(json).Field);

    [Fact]
    public void Interactions_Sift_does_not_handle_are_ignored()
    {
        var command = SlackInteraction.Read("""{"type":"view_closed","user":{"id":"U1","username":"ana"}}""").Command;
        Assert.Equal(SlackCommandKind.Ignore, command!.Kind);
    }
}
