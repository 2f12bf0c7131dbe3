using System.Text.Json;
using System.Text.Json.Serialization;
using Sift.Drafting;
using Sift.Ingestion;
using Sift.Mail;
using Sift.Policy;

namespace Sift.Api;

public sealed record IngestResponse(Guid Id, bool Duplicate);

public sealed record DecisionRequest(string? Action, string? Text, string? By);

public sealed record CommandAccepted(Guid Id, string Status);

public sealed record MessageSummary
{
    public Guid Id { get; init; }

    public required string Mailbox { get; init; }

    public required string Sender { get; init; }

    public required string Subject { get; init; }

    public DateTimeOffset ReceivedAt { get; init; }

    public required string Status { get; init; }

    public string? Intent { get; init; }

    public string? Urgency { get; init; }

    public string? Owner { get; init; }

    public string? Route { get; init; }

    public required string WorkflowState { get; init; }

    public string? LastError { get; init; }
}

public sealed record MessagePage(IReadOnlyList<MessageSummary> Items, string? NextCursor);

public sealed record ClassificationView(string? Intent, string? Urgency, string? Owner, IReadOnlyList<string> PolicyFlags, double? Confidence);

public sealed record DecisionView(string? Route, string? FilterReason, IReadOnlyList<RuleMatch> Explanation);

public sealed record WorkflowView(string State, int Attempt, string? LastError, string? WaitingFor, DateTimeOffset? WaitDeadline, DateTimeOffset UpdatedAt, DateTimeOffset? CompletedAt);

public sealed record DraftView
{
    public Guid Id { get; init; }

    public string? TemplateId { get; init; }

    public required string DraftText { get; init; }

    public string? Decision { get; init; }

    public string? Approver { get; init; }

    public long? LatencyMs { get; init; }

    public string? SentText { get; init; }

    public DateTimeOffset CreatedAt { get; init; }

    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>Characters the reviewer changed (0 when approved as drafted; none when rejected).</summary>
    public int? EditDistance { get; init; }

    public double? EditRatio { get; init; }

    /// <summary>Who wrote the text: <c>template</c>, <c>model-grounded</c> (review draft from the template and the knowledge base) or <c>model-paraphrase</c>.</summary>
    public string? Source { get; init; }

    /// <summary>What the send-safety lint found in the draft (<c>rule: reason</c>); empty when it passed.</summary>
    public IReadOnlyList<string> LintFindings { get; init; } = [];
}

public sealed record AuditView
{
    public long Id { get; init; }

    public DateTimeOffset At { get; init; }

    public required string Step { get; init; }

    public required string What { get; init; }

    public string? Why { get; init; }

    public required string Actor { get; init; }

    public string? ModelVersion { get; init; }

    public string? PolicyVersion { get; init; }

    /// <summary>What the step kept for the record: for a model call, the redacted prompt that left Sift.</summary>
    public string? Data { get; init; }
}

/// <summary>One call to a hosted model for this message.</summary>
public sealed record ModelCallView
{
    public DateTimeOffset At { get; init; }

    public required string Step { get; init; }

    public required string Provider { get; init; }

    public required string Model { get; init; }

    public required string Purpose { get; init; }

    public int TokensIn { get; init; }

    public int TokensOut { get; init; }

    public bool TokensEstimated { get; init; }

    public decimal CostUsd { get; init; }

    public double LatencyMs { get; init; }

    public required string Outcome { get; init; }
}

/// <summary>What the hosted models cost for this message: the sums, and every call.</summary>
public sealed record CostView(decimal CostUsd, long TokensIn, long TokensOut, IReadOnlyList<ModelCallView> Calls);

public sealed record MessageDetail(
    Guid Id,
    string Mailbox,
    string InternetMessageId,
    string ThreadId,
    EmailAddress From,
    string Subject,
    DateTimeOffset ReceivedAt,
    string Status,
    bool AutoSent,
    string Text,
    string NewText,
    string? Language,
    EmailAddress? ReplyTo,
    IReadOnlyList<AttachmentInfo> Attachments,
    ClassificationView Classification,
    DecisionView Decision,
    WorkflowView Workflow,
    DraftView? Draft,
    IReadOnlyList<AuditView> Audit,
    CostView Cost,
    Outline? Outline = null);

/// <summary>Ingest jobs in one state, newest first.</summary>
public sealed record IngestJobList(IReadOnlyList<IngestJobSummary> Items);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(IngestResponse))]
[JsonSerializable(typeof(DecisionRequest))]
[JsonSerializable(typeof(CommandAccepted))]
[JsonSerializable(typeof(MessagePage))]
[JsonSerializable(typeof(MessageDetail))]
[JsonSerializable(typeof(PostedMessage))]
[JsonSerializable(typeof(List<RuleMatch>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Outline))]
[JsonSerializable(typeof(IngestJobList))]
[JsonSerializable(typeof(PolicyView))]
[JsonSerializable(typeof(EditSummary))]
[JsonSerializable(typeof(FeedbackExample))]
[JsonSerializable(typeof(SimulationRequest))]
[JsonSerializable(typeof(SimulationResult))]
internal sealed partial class ApiJsonContext : JsonSerializerContext;
