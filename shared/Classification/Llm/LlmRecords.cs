using System.Collections.Immutable;
using System.Text.Json.Serialization;
using Sift.Mail;

namespace Sift.Classification.Llm;

/// <summary>What the hosted model is asked about: the message and what Sift already knows around it.</summary>
public sealed record LlmRequest
{
    public required InboundMessage Message { get; init; }

    /// <summary>The company the mailbox belongs to, named in the system prompt.</summary>
    public required string Company { get; init; }

    /// <summary>A summary of the earlier messages of the thread, if any (redacted like the email).</summary>
    public string? ThreadContext { get; init; }

    /// <summary>What the CRM knows about the sender, if anything (redacted like the email).</summary>
    public string? CrmContext { get; init; }

    /// <summary>The policy lines that bear on this mailbox, given to the model as rules.</summary>
    public ImmutableArray<string> PolicyLines { get; init; } = [];

    /// <summary>The local model's answer, given to the model as a hint only.</summary>
    public IntentPrediction? LocalGuess { get; init; }
}

/// <summary>
/// The hosted model's answer, or why there is none. <see cref="Classification"/> is null when the provider failed,
/// the circuit was open or the answer stayed invalid after the repair: such a message goes to a human.
/// </summary>
public sealed record LlmOutcome(Classification? Classification, string? Owner, string? Failure, ImmutableArray<ModelCall> Calls)
{
    public long TotalTokensIn => Calls.Sum(c => c.TokensIn);

    public long TotalTokensOut => Calls.Sum(c => c.TokensOut);

    public decimal TotalCostUsd => Calls.Sum(c => c.CostUsd);

    public long TotalLatencyMs => Calls.Sum(c => c.LatencyMs);

    /// <summary>
    /// Placeholder to original value, for putting personal data back into text that stays local. Not serialised: step
    /// results are stored, and personal data must not be; redaction is deterministic, so it can be redone from the message.
    /// </summary>
    [JsonIgnore]
    public ImmutableDictionary<string, string> Placeholders { get; init; } = ImmutableDictionary<string, string>.Empty;
}

/// <summary>
/// One request that reached the provider (or was sent and timed out), for the audit log and the cost figures. Calls a
/// closed circuit refused never left Sift and have no record.
/// </summary>
/// <param name="Provider">The configured provider, e.g. <c>openai</c>.</param>
/// <param name="Model">The configured model (or Azure deployment).</param>
/// <param name="Purpose"><c>classify</c> or <c>repair</c>.</param>
/// <param name="Attempt">1 for the first try, 2 and up for retries of the same call.</param>
/// <param name="StartedAt">When the request was sent (UTC).</param>
/// <param name="LatencyMs">From sending to the answer, the error or the timeout.</param>
/// <param name="TokensIn">Prompt tokens.</param>
/// <param name="TokensOut">Answer tokens.</param>
/// <param name="TokensEstimated">True when the provider gave no usage and the counts come from the o200k_base tokenizer.</param>
/// <param name="CostUsd">From the price table in <see cref="LlmOptions.Prices"/>.</param>
/// <param name="CostNote">Why the cost is 0 when it is (no price for the model), else null.</param>
/// <param name="Outcome"><c>ok</c>, <c>invalid-json</c>, <c>invalid-answer</c>, <c>http-429</c>, <c>http-503</c>, <c>timeout</c>, <c>network-error</c>, <c>cancelled</c>...</param>
/// <param name="Prompt">The redacted messages that were sent, system and user (and, for a repair, the rejected answer).</param>
public sealed record ModelCall(
    string Provider,
    string Model,
    string Purpose,
    int Attempt,
    DateTimeOffset StartedAt,
    long LatencyMs,
    string Outcome,
    long TokensIn,
    long TokensOut,
    bool TokensEstimated,
    decimal CostUsd,
    string? CostNote,
    string Prompt);

/// <summary>JSON for the hosted-model records the workflow stores as step results.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(LlmRequest))]
[JsonSerializable(typeof(LlmOutcome))]
[JsonSerializable(typeof(ModelCall))]
public sealed partial class LlmJsonContext : JsonSerializerContext;
