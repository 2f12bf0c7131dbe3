using System.ComponentModel.DataAnnotations;

namespace Sift.Policy;

/// <summary>
/// The routing policy the owner tunes (section <c>Sift:Policy</c>): who is a VIP, each intent's autonomy and
/// minimum confidence, SLAs, the kill switch and dry-run. Its content hash is the policy version stored with
/// every decision.
/// </summary>
public sealed class PolicyOptions
{
    public const string Section = "Sift:Policy";

    [Required]
    public string Company { get; set; } = "Contoso";

    /// <summary>Addresses or @domains that are never answered automatically.</summary>
    public List<string> Vips { get; set; } = [];

    /// <summary>Per-intent autonomy. Intents not listed go to a human.</summary>
    public Dictionary<string, IntentPolicy> Intents { get; set; } = [];

    /// <summary>Who takes over when a review waits past its SLA.</summary>
    [Required]
    public string FallbackOwner { get; set; } = "support-lead";

    /// <summary>Review deadline per urgency, in minutes.</summary>
    public Dictionary<string, int> SlaMinutes { get; set; } = new(StringComparer.OrdinalIgnoreCase) { ["high"] = 60, ["normal"] = 240, ["low"] = 1440 };

    /// <summary>Turns every auto-send into a review.</summary>
    public bool KillSwitch { get; set; }

    /// <summary>Decide and record everything, send nothing.</summary>
    public bool DryRun { get; set; }

    /// <summary>At most this many automatic replies to one sender per <see cref="AutoReplyWindowMinutes"/>: a loop guard.</summary>
    [Range(0, 1000)]
    public int AutoRepliesPerSender { get; set; } = 1;

    [Range(1, 525_600)]
    public int AutoReplyWindowMinutes { get; set; } = 1440;

    /// <summary>Values templates may use: calendar link, pricing page, docs, support ETA.</summary>
    public Dictionary<string, string> Slots { get; set; } = [];
}

public sealed class IntentPolicy
{
    /// <summary>auto, review or human.</summary>
    [Required]
    public string Mode { get; set; } = RouteAction.Human;

    [Range(0.0, 1.0)]
    public double MinConfidence { get; set; } = 0.8;

    [Required]
    public string Owner { get; set; } = "support-team";

    public string? Template { get; set; }
}

public static class RouteAction
{
    public const string Auto = "auto";
    public const string Review = "review";
    public const string Human = "human";
}
