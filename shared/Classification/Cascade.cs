using System.Collections.Immutable;
using System.Globalization;

namespace Sift.Classification;

/// <summary>The local step's verdict: its classification, what the cascade does next (a <see cref="CascadeChoice"/> constant), and why.</summary>
public sealed record LocalVerdict(Classification Classification, string Outcome, string Reason)
{
    public bool AskLlm => Outcome == CascadeChoice.Llm;
}

/// <summary>The cascade's final choice between the local and the hosted answer, and why.</summary>
public sealed record CascadeChoice(Classification Classification, string Chosen, string Reason)
{
    public const string Local = "local";
    public const string Llm = "llm";
    public const string Unknown = "abstained";
    public const string Failed = "failed";
}

/// <summary>
/// The cascade's rules, pure so that the workflow records them as steps: the local model's answer stands when it is an
/// allowed intent with at least the intent's <see cref="IntentDefinition.LocalMinConfidence"/>; otherwise the hosted model
/// is asked when one is configured. Without one, a low answer becomes the unknown intent and an answer outside the
/// taxonomy is a failure: a human reads the mail.
/// </summary>
public static class Cascade
{
    public static LocalVerdict Decide(Classification local, TaxonomyOptions taxonomy, bool llmConfigured, double abstainBelow)
    {
        var definition = taxonomy.Intent(local.Intent);
        if (definition is not null && local.Confidence >= definition.LocalMinConfidence)
        {
            return new LocalVerdict(local, CascadeChoice.Local, Invariant($"local answer {local.Intent} at {local.Confidence:0.###} reaches the intent's {definition.LocalMinConfidence:0.###}"));
        }

        var why = definition is null
            ? $"the local answer '{local.Intent}' is not an intent of the taxonomy"
            : Invariant($"local confidence {local.Confidence:0.###} for {local.Intent} is under the intent's {definition.LocalMinConfidence:0.###}");
        if (llmConfigured)
        {
            return new LocalVerdict(local, CascadeChoice.Llm, why + ": the hosted model is asked");
        }

        if (definition is null)
        {
            return new LocalVerdict(
                local with { Intent = taxonomy.UnknownIntent, Failure = why + " and no hosted model is configured" },
                CascadeChoice.Failed,
                why + "; no hosted model is configured, so a human reads it");
        }

        if (local.Confidence < abstainBelow)
        {
            return new LocalVerdict(
                local with { Intent = taxonomy.UnknownIntent, Rationale = $"abstained ({local.Rationale})" },
                CascadeChoice.Unknown,
                Invariant($"{why}, and under the abstention level {abstainBelow:0.###}; no hosted model is configured: unknown intent"));
        }

        return new LocalVerdict(local, CascadeChoice.Local, why + "; no hosted model is configured, so the local answer stands and the policy's confidence rules apply");
    }

    /// <summary>
    /// Combines the local verdict with the hosted model's answer (or its failure). <paramref name="urgencies"/> lists the
    /// taxonomy's urgency levels from lowest to highest: the higher of the two answers' urgencies is kept.
    /// </summary>
    public static CascadeChoice Choose(LocalVerdict local, Classification? llm, string? llmFailure, IReadOnlyList<string> urgencies)
    {
        if (!local.AskLlm)
        {
            return new CascadeChoice(local.Classification, local.Outcome, local.Reason);
        }

        if (llm is null)
        {
            var failure = llmFailure ?? "the hosted model gave no answer";
            return new CascadeChoice(local.Classification with { Failure = failure }, CascadeChoice.Failed, $"{local.Reason}; it failed ({failure}), so a human reads it");
        }

        // Flags only add up: a hosted model fooled by the mail cannot clear what the local rules found (VIP, PII, injection...).
        var flags = local.Classification.PolicyFlags.Union(llm.PolicyFlags).ToImmutableArray();
        // Likewise urgency only goes up: the keyword rules' "high" stands even if the hosted model says "normal".
        var urgency = Rank(urgencies, local.Classification.Urgency) > Rank(urgencies, llm.Urgency) ? local.Classification.Urgency : llm.Urgency;
        var combined = llm with
        {
            Urgency = urgency,
            PolicyFlags = flags,
            Rationale = Invariant($"{llm.Rationale} (local model: {local.Classification.Intent} {local.Classification.Confidence:0.###})"),
        };
        return new CascadeChoice(combined, CascadeChoice.Llm, Invariant($"{local.Reason}; it answered {llm.Intent} at {llm.Confidence:0.###}"));
    }

    private static int Rank(IReadOnlyList<string> urgencies, string urgency)
    {
        for (var i = 0; i < urgencies.Count; i++)
        {
            if (string.Equals(urgencies[i], urgency, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
