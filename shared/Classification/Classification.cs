using System.Collections.Immutable;

namespace Sift.Classification;

/// <summary>What a classifier said about a message. Values come from the taxonomy only.</summary>
public sealed record Classification(
    string Intent,
    string Urgency,
    ImmutableArray<string> PolicyFlags,
    double Confidence,
    string Rationale,
    string Model)
{
    /// <summary>The owner the classifier suggests (a hosted model may name one); the policy's owner for the intent comes first.</summary>
    public string? Owner { get; init; }

    /// <summary>
    /// Why no classifier could be trusted with this message (the hosted model failed or answered outside the taxonomy).
    /// The policy sends such a message to a human, never to auto-send.
    /// </summary>
    public string? Failure { get; init; }

    public bool HasFlag(string flag) => PolicyFlags.Contains(flag);
}

public static class PolicyFlags
{
    public const string Vip = "vip";
    public const string Complaint = "complaint";
    public const string Legal = "legal";
    public const string Sensitive = "sensitive";
    public const string Pii = "pii";
    public const string PromptInjectionSuspected = "prompt_injection_suspected";
}
