using System.Data.Common;
using System.Text.Json;
using Sift.Engine;
using Sift.Storage;

namespace Sift.Triage;

/// <summary>The one way a reviewer's decision reaches a waiting workflow, whichever door it came through (API, Slack).</summary>
public static class ReviewDecisions
{
    /// <summary>
    /// Raises the review event; only a message that is awaiting review accepts it, and only once. <paramref name="condition"/>
    /// runs in the event's transaction (a Teams link is spent there, so that the link and the decision go together).
    /// </summary>
    public static Task<(EventOutcome Outcome, string? Status)> DecideAsync(
        this WorkflowCommands commands,
        Guid messageId,
        ReviewDecision decision,
        CancellationToken cancellationToken,
        Func<DbConnection, DbTransaction, CancellationToken, Task<bool>>? condition = null)
    {
        var payload = JsonSerializer.Serialize(decision, WorkflowJsonContext.Default.ReviewDecision);
        return commands.RaiseEventAsync(messageId, ReviewDecision.EventName, MessageStatus.AwaitingReview, payload, decision.By, $"{decision.Action} by {decision.By}", cancellationToken, condition);
    }

    /// <summary>Why a decision was refused, in words a reviewer can act on; null when it was accepted.</summary>
    public static string? Refusal(Guid messageId, EventOutcome outcome, string? status) => outcome switch
    {
        EventOutcome.Accepted => null,
        EventOutcome.NotFound => $"No message has id {messageId}.",
        EventOutcome.AlreadyRaised => $"A review decision was already recorded for message {messageId}.",
        EventOutcome.Refused => $"The decision on message {messageId} was refused: this link was already used.",
        _ => $"Message {messageId} is not waiting for a review decision: its status is '{status}'.",
    };
}
