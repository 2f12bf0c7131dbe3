using System.Collections.Immutable;

namespace Sift.Policy;

/// <summary>Where a message goes, who owns it, and every rule that led there.</summary>
public sealed record RouteDecision(
    string Action,
    string Owner,
    string? TemplateId,
    ImmutableArray<RuleMatch> Explanation,
    string PolicyVersion,
    DateTimeOffset SlaDeadline,
    bool DryRun);

/// <summary>One rule that matched: its name, what it did, and why.</summary>
public sealed record RuleMatch(string Rule, string Effect, string Reason);
