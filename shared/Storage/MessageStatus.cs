namespace Sift.Storage;

/// <summary>Where a message stands, as the API and the console show it.</summary>
public static class MessageStatus
{
    public const string Received = "received";
    public const string Processing = "processing";
    public const string Filtered = "filtered";
    public const string AutoSent = "auto_sent";
    public const string AwaitingReview = "awaiting_review";
    public const string Sent = "sent";
    public const string Rejected = "rejected";
    public const string Assigned = "assigned";
    public const string DryRun = "dry_run";
    public const string DeadLettered = "dead_lettered";

    public static readonly IReadOnlySet<string> All = new HashSet<string>(StringComparer.Ordinal)
    {
        Received, Processing, Filtered, AutoSent, AwaitingReview, Sent, Rejected, Assigned, DryRun, DeadLettered,
    };
}

/// <summary>States of a workflow instance (the workflows table).</summary>
public static class WorkflowState
{
    public const string Queued = "queued";
    public const string Running = "running";
    public const string Waiting = "waiting";
    public const string Completed = "completed";
    public const string Dead = "dead";
}
