using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sift.Approvals.Slack;

/// <summary>Where a review card was posted: what chat.update and thread replies need later.</summary>
public sealed record SlackPost(string Channel, string Ts);

/// <summary>
/// A Slack side effect's outcome: where the post is, or the Slack error that no retry can fix (the review then carries on
/// in the console, and the audit log names the error).
/// </summary>
public sealed record SlackOutcome(string? Channel, string? Ts, string? Error)
{
    public static SlackOutcome Done(SlackPost post) => new(post.Channel, post.Ts, null);

    public static SlackOutcome Failed(string error) => new(null, null, error);

    public SlackPost? AsPost() => Channel is not null && Ts is not null ? new SlackPost(Channel, Ts) : null;
}

/// <summary>What a review card shows: the mail, the classification, why it needs review, the lint and the draft.</summary>
public sealed record SlackReviewCard
{
    public Guid MessageId { get; init; }

    public required string Sender { get; init; }

    public required string Subject { get; init; }

    public required string Intent { get; init; }

    public required string Urgency { get; init; }

    public double Confidence { get; init; }

    public required string Owner { get; init; }

    public DateTimeOffset Deadline { get; init; }

    /// <summary>The route's explanation: each rule that sent the draft to review, and why.</summary>
    public IReadOnlyList<string> Why { get; init; } = [];

    public IReadOnlyList<string> LintFindings { get; init; } = [];

    public required string Draft { get; init; }
}

/// <summary>A Web API answer: Slack says HTTP 200 with <c>ok: false</c> and an error code for most failures.</summary>
public sealed record SlackResponse
{
    public bool Ok { get; init; }

    public string? Error { get; init; }

    public string? Channel { get; init; }

    public string? Ts { get; init; }

    public List<SlackHistoryMessage>? Messages { get; init; }
}

public sealed record SlackHistoryMessage
{
    public string? Ts { get; init; }

    public string? ThreadTs { get; init; }

    public SlackMetadata? Metadata { get; init; }
}

/// <summary>Message metadata: Sift marks each post with its idempotency key so that a post can be found after a crash.</summary>
public sealed record SlackMetadata
{
    public string? EventType { get; init; }

    public Dictionary<string, JsonElement>? EventPayload { get; init; }
}

/// <summary>An interactivity payload (the <c>payload</c> form field): block_actions from a card, view_submission from a modal.</summary>
public sealed record SlackInteractionPayload
{
    public string? Type { get; init; }

    public SlackUser? User { get; init; }

    public SlackContainer? Container { get; init; }

    public SlackChannelRef? Channel { get; init; }

    public string? TriggerId { get; init; }

    public string? ResponseUrl { get; init; }

    public List<SlackAction>? Actions { get; init; }

    public SlackView? View { get; init; }
}

public sealed record SlackUser(string? Id, string? Username, string? Name);

public sealed record SlackContainer(string? Type, string? MessageTs, string? ChannelId);

public sealed record SlackChannelRef(string? Id, string? Name);

public sealed record SlackAction(string? ActionId, string? BlockId, string? Value, string? Type, string? ActionTs);

public sealed record SlackView
{
    public string? Id { get; init; }

    public string? CallbackId { get; init; }

    public string? PrivateMetadata { get; init; }

    public SlackViewState? State { get; init; }
}

public sealed record SlackViewState(Dictionary<string, Dictionary<string, SlackStateValue>>? Values);

public sealed record SlackStateValue(string? Type, string? Value);

/// <summary>The answer to a view_submission: close the modal stack, or show errors under the named blocks.</summary>
public sealed record SlackViewResponse(string ResponseAction, Dictionary<string, string>? Errors = null);

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SlackResponse))]
[JsonSerializable(typeof(SlackInteractionPayload))]
[JsonSerializable(typeof(SlackViewResponse))]
[JsonSerializable(typeof(SlackPost))]
[JsonSerializable(typeof(SlackOutcome))]
public sealed partial class SlackJsonContext : JsonSerializerContext;
