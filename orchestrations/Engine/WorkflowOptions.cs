using System.ComponentModel.DataAnnotations;

namespace Sift.Engine;

/// <summary>How workers run workflow instances (section <c>Sift:Workflow</c>).</summary>
public sealed class WorkflowOptions
{
    public const string Section = "Sift:Workflow";

    /// <summary>Failed episodes are retried with exponential backoff until this many attempts, then dead-lettered.</summary>
    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 5;

    public TimeSpan BaseRetryDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>A worker's lease on a claimed instance, renewed every third of it while the instance runs; a crashed worker's instance is picked up when it expires.</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How often an idle worker looks for due work (arrivals in the same process wake it at once).</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Instances one worker process runs at the same time.</summary>
    [Range(1, 256)]
    public int Concurrency { get; set; } = 8;

    /// <summary>Kills the process at a named point (e.g. <c>after-commit:send</c>); for crash tests only.</summary>
    public string? CrashAt { get; set; }
}
