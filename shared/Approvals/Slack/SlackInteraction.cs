using System.Text.Json;

namespace Sift.Approvals.Slack;

public enum SlackCommandKind
{
    Approve,
    Reject,
    OpenEditor,
    SubmitEdit,

    /// <summary>An interaction Sift has nothing to do for (a closed modal, a shortcut): acknowledged and dropped.</summary>
    Ignore,
}

/// <summary>What a reviewer asked for through Slack, read from a verified interactivity payload.</summary>
public sealed record SlackCommand(SlackCommandKind Kind, Guid MessageId, string By)
{
    /// <summary>The click's trigger id (block_actions), which opens the edit modal once, within 3 s.</summary>
    public string? TriggerId { get; init; }

    /// <summary>Where an ephemeral answer to the clicker goes (block_actions only; modals have none).</summary>
    public string? ResponseUrl { get; init; }

    /// <summary>The edited reply (view_submission); empty when the reviewer cleared it.</summary>
    public string? Text { get; init; }
}

/// <summary>A payload read into a command, or the field that made it unreadable.</summary>
public sealed record SlackReadResult(SlackCommand? Command, string? Field = null, string? Error = null);

/// <summary>Reads block_actions and view_submission payloads into <see cref="SlackCommand"/>s.</summary>
public static class SlackInteraction
{
    public static SlackReadResult Read(string payloadJson)
    {
        SlackInteractionPayload? payload;
        try
        {
            payload = JsonSerializer.Deserialize(payloadJson, SlackJsonContext.Default.SlackInteractionPayload);
        }
        catch (JsonException ex)
        {
            return Invalid(ex.Path is null or "$" ? "payload" : "payload" + ex.Path.TrimStart('$'), "The payload is not Slack's interaction JSON.");
        }

        if (payload is null)
        {
            return Invalid("payload", "The payload is empty.");
        }

        return payload.Type switch
        {
            "block_actions" => ReadAction(payload),
            "view_submission" => ReadSubmission(payload),
            null => Invalid("payload.type", "The payload has no type."),
            _ => new SlackReadResult(new SlackCommand(SlackCommandKind.Ignore, Guid.Empty, By(payload.User) ?? "slack")),
        };
    }

    /// <summary>Who decided, as the audit log and the draft row keep it: <c>slack:W111 (primary-owner)</c>.</summary>
    public static string? By(SlackUser? user) =>
        string.IsNullOrWhiteSpace(user?.Id) ? null : $"slack:{user.Id} ({user.Username ?? user.Name ?? "unknown"})";

    private static SlackReadResult ReadAction(SlackInteractionPayload payload)
    {
        if (By(payload.User) is not { } by)
        {
            return Invalid("payload.user.id", "block_actions has no user id.");
        }

        if (payload.Actions is not [var action, ..])
        {
            return Invalid("payload.actions", "block_actions has no action.");
        }

        var kind = action.ActionId switch
        {
            SlackMessages.ApproveAction => SlackCommandKind.Approve,
            SlackMessages.RejectAction => SlackCommandKind.Reject,
            SlackMessages.EditAction => SlackCommandKind.OpenEditor,
            _ => (SlackCommandKind?)null,
        };
        if (kind is null)
        {
            return Invalid("payload.actions[0].action_id", $"'{action.ActionId}' is not one of Sift's buttons ({SlackMessages.ApproveAction}, {SlackMessages.EditAction}, {SlackMessages.RejectAction}).");
        }

        if (!Guid.TryParse(action.Value, out var messageId))
        {
            return Invalid("payload.actions[0].value", "The button's value is not a Sift message id.");
        }

        if (kind == SlackCommandKind.OpenEditor && string.IsNullOrEmpty(payload.TriggerId))
        {
            return Invalid("payload.trigger_id", "Edit needs the click's trigger_id to open the modal.");
        }

        return new SlackReadResult(new SlackCommand(kind.Value, messageId, by) { TriggerId = payload.TriggerId, ResponseUrl = payload.ResponseUrl });
    }

    private static SlackReadResult ReadSubmission(SlackInteractionPayload payload)
    {
        if (By(payload.User) is not { } by)
        {
            return Invalid("payload.user.id", "view_submission has no user id.");
        }

        if (payload.View is not { } view)
        {
            return Invalid("payload.view", "view_submission has no view.");
        }

        if (view.CallbackId != SlackMessages.EditCallback)
        {
            return Invalid("payload.view.callback_id", $"'{view.CallbackId}' is not Sift's edit modal ({SlackMessages.EditCallback}).");
        }

        if (!Guid.TryParse(view.PrivateMetadata, out var messageId))
        {
            return Invalid("payload.view.private_metadata", "The modal's private_metadata is not a Sift message id.");
        }

        if (view.State?.Values?.GetValueOrDefault(SlackMessages.DraftBlock)?.GetValueOrDefault(SlackMessages.DraftInput) is not { } input)
        {
            return Invalid($"payload.view.state.values.{SlackMessages.DraftBlock}.{SlackMessages.DraftInput}", "The modal's state has no reply text input.");
        }

        return new SlackReadResult(new SlackCommand(SlackCommandKind.SubmitEdit, messageId, by) { Text = input.Value ?? string.Empty });
    }

    private static SlackReadResult Invalid(string field, string error) => new(null, field, error);
}
