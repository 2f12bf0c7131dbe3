namespace Sift.Triage;

/// <summary>A reviewer's decision on a draft: the external event that resumes a waiting workflow.</summary>
public sealed record ReviewDecision(string Action, string? Text, string By, DateTimeOffset At)
{
    public const string EventName = "review";
    public const string Approve = "approve";
    public const string Edit = "edit";
    public const string Reject = "reject";
}

/// <summary>The loop guard's answer for one automatic reply.</summary>
public sealed record LoopGuardResult(bool Allowed, string Reason);

/// <summary>Where a draft was put up for review, and by when it must be decided.</summary>
public sealed record ReviewRequest(string Channel, string Owner, DateTimeOffset Deadline, DateTimeOffset RequestedAt)
{
    /// <summary>The Slack channel the card goes to, when <see cref="Channel"/> is <c>slack</c>.</summary>
    public string? SlackChannel { get; init; }

    /// <summary>The SHA-256 of the draft the reviewer is shown: an approval sends that text and no other.</summary>
    public string? DraftSha256 { get; init; }

    /// <summary>Whether the card also goes to the owner's Teams webhook (the URL itself, a secret, is not kept in the history).</summary>
    public bool Teams { get; init; }

    /// <summary>Whether the decision is announced in Teams with a follow-up card; null in histories written before it was recorded.</summary>
    public bool? TeamsDecisions { get; init; }
}

/// <summary>Which hosted-model steps a reply takes (a grounded review draft, a paraphrase), decided once and recorded.</summary>
public sealed record DraftPlan(bool Grounded, bool Paraphrase, string Reason);

/// <summary>The kill switch and dry-run as they stand right before a reply leaves (a policy may have changed since routing).</summary>
public sealed record SendGate(bool KillSwitch, bool DryRun, string Reason);

/// <summary>An SLA escalation: the review passed its deadline and moved to the fallback owner.</summary>
public sealed record Escalation(string FromOwner, string ToOwner, DateTimeOffset DeadlineMissed)
{
    /// <summary>Whether the fallback owner's Teams channel gets the card; null in histories written before it was recorded.</summary>
    public bool? TeamsCard { get; init; }
}

/// <summary>The workflow's final record of what happened to the message.</summary>
public sealed record TriageOutcome(string Status, string Route, bool Sent);

/// <summary>A prompt sent to a hosted model, as the audit log keeps it (already redacted).</summary>
public sealed record SentPrompt(string Purpose, int Attempt, string Outcome, string Prompt);
