namespace Sift.Engine;

/// <summary>An instance a worker claimed: the fencing token proves the lease on every write.</summary>
internal sealed record WorkflowClaim
{
    public Guid MessageId { get; init; }

    public long LeaseToken { get; init; }

    public int Attempt { get; init; }
}

internal sealed record StepRecord(Guid MessageId, string Name, int Seq, string Result, DateTimeOffset CompletedAt, double DurationMs);

/// <summary>One line of the append-only audit log.</summary>
public sealed record AuditEntry(
    Guid? MessageId,
    DateTimeOffset At,
    string Step,
    string What,
    string? Why,
    string Actor,
    string? ModelVersion = null,
    string? PolicyVersion = null,
    string? Data = null);

/// <summary>What a step's audit entry says about its result, and the hosted-model calls the step made (stored in model_calls).</summary>
public sealed record AuditNote(string What, string? Why = null, string? ModelVersion = null, string? PolicyVersion = null, string? Data = null)
{
    public IReadOnlyList<ModelCallRow> ModelCalls { get; init; } = [];
}

/// <summary>One call to a hosted model as the model_calls table keeps it: tokens, price and latency.</summary>
public sealed record ModelCallRow(
    string Provider,
    string Model,
    string Purpose,
    int TokensIn,
    int TokensOut,
    bool TokensEstimated,
    decimal CostUsd,
    double LatencyMs,
    string Outcome);

/// <summary>A model_calls row with the step that made the call.</summary>
internal sealed record ModelCallEntry(Guid MessageId, DateTimeOffset At, string Step, ModelCallRow Call);

/// <summary>Columns of the message row a step changes; null leaves a column as it is.</summary>
public sealed record MessagePatch
{
    public string? Status { get; init; }

    public string? Intent { get; init; }

    public string? Urgency { get; init; }

    public string? Owner { get; init; }

    public string? PolicyFlags { get; init; }

    public double? Confidence { get; init; }

    public string? Route { get; init; }

    public string? Explanation { get; init; }

    public string? FilterReason { get; init; }

    public bool? AutoSent { get; init; }

    public MessagePatch Merge(MessagePatch next) => new()
    {
        Status = next.Status ?? Status,
        Intent = next.Intent ?? Intent,
        Urgency = next.Urgency ?? Urgency,
        Owner = next.Owner ?? Owner,
        PolicyFlags = next.PolicyFlags ?? PolicyFlags,
        Confidence = next.Confidence ?? Confidence,
        Route = next.Route ?? Route,
        Explanation = next.Explanation ?? Explanation,
        FilterReason = next.FilterReason ?? FilterReason,
        AutoSent = next.AutoSent ?? AutoSent,
    };
}

/// <summary>A draft row as the workflow writes it.</summary>
public sealed record DraftRow(Guid Id, Guid MessageId, string DraftText, string? TemplateId, DateTimeOffset CreatedAt)
{
    public string? Approver { get; init; }

    public string? Decision { get; init; }

    public long? LatencyMs { get; init; }

    public string? SentText { get; init; }

    public DateTimeOffset? DecidedAt { get; init; }

    /// <summary>Characters changed between the draft and the sent text (0 when approved as drafted).</summary>
    public int? EditDistance { get; init; }

    /// <summary><see cref="EditDistance"/> over the longer text's length.</summary>
    public double? EditRatio { get; init; }

    /// <summary>Who wrote the text: <c>template</c>, <c>model-grounded</c> or <c>model-paraphrase</c>.</summary>
    public string? Source { get; init; }

    /// <summary>What the send-safety lint found, as a JSON list of <c>rule: reason</c> lines.</summary>
    public string? LintFindings { get; init; }
}

/// <summary>The outcome of waiting for an external event: its payload, or that the deadline passed first.</summary>
public sealed record EventResult<T>(bool TimedOut, T? Payload);

/// <summary>A side effect's record: started before it is performed, done after.</summary>
internal sealed record SideEffectRecord
{
    public required string IdempotencyKey { get; init; }

    public required string Kind { get; init; }

    public required string State { get; init; }

    public string? Result { get; init; }
}

/// <summary>Thrown to unwind a workflow that must wait for an event; the runner records the wait.</summary>
internal sealed class WorkflowSuspendedException(string eventName, DateTimeOffset? deadline)
    : Exception($"Waiting for '{eventName}'.")
{
    public string EventName { get; } = eventName;

    public DateTimeOffset? Deadline { get; } = deadline;
}

/// <summary>Thrown when another worker took the instance over (this worker's lease expired): its writes are refused.</summary>
internal sealed class LeaseLostException(Guid messageId) : Exception($"The lease on workflow {messageId} was lost.");

/// <summary>A failure that retrying cannot fix: the instance is dead-lettered at once.</summary>
public sealed class PermanentWorkflowException(string message, Exception? inner = null) : Exception(message, inner);
