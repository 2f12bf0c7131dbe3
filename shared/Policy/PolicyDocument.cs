namespace Sift.Policy;

/// <summary>
/// The routing policy as its owner writes it: one JSON document (<c>policy/policy.json</c>, schema
/// <c>policy/policy.schema.json</c>). Read with <see cref="PolicyLoader"/>, which validates it first; the compiled form
/// the router uses is <see cref="LoadedPolicy"/>.
/// </summary>
public sealed record PolicyDocument
{
    public string? Description { get; set; }

    public string Company { get; set; } = "";

    public string FallbackOwner { get; set; } = "";

    /// <summary>IANA time zone of the business hours; UTC when left out.</summary>
    public string? TimeZone { get; set; }

    public BusinessHoursPolicy? BusinessHours { get; set; }

    public bool KillSwitch { get; set; }

    public bool DryRun { get; set; }

    public AutoReplyPolicy AutoReplies { get; set; } = new();

    public SenderLists Senders { get; set; } = new();

    public DomainKinds Domains { get; set; } = new();

    public IReadOnlyList<string> Vips { get; set; } = [];

    public string Pii { get; set; } = PiiHandling.Redact;

    /// <summary>Review deadline in minutes per urgency.</summary>
    public IReadOnlyDictionary<string, int> Sla { get; set; } = new Dictionary<string, int>();

    public IReadOnlyDictionary<string, IntentPolicy> Intents { get; set; } = new Dictionary<string, IntentPolicy>();

    public IReadOnlyList<PolicyRule> Rules { get; set; } = [];

    public IReadOnlyDictionary<string, string> Slots { get; set; } = new Dictionary<string, string>();
}

public sealed record BusinessHoursPolicy
{
    public IReadOnlyList<string> Days { get; set; } = ["monday", "tuesday", "wednesday", "thursday", "friday"];

    public string Start { get; set; } = "09:00";

    public string End { get; set; } = "17:00";

    /// <summary>review or human: what an auto-send becomes outside business hours; null sends at any hour.</summary>
    public string? OutsideHours { get; set; }

    public bool SlaInBusinessHours { get; set; } = true;
}

public sealed record AutoReplyPolicy
{
    public int PerSender { get; set; } = 1;

    public int WindowMinutes { get; set; } = 1440;
}

public sealed record SenderLists
{
    public IReadOnlyList<string> Allow { get; set; } = [];

    public IReadOnlyList<string> Block { get; set; } = [];
}

public sealed record DomainKinds
{
    public IReadOnlyList<string> Internal { get; set; } = [];

    public IReadOnlyList<string> Customer { get; set; } = [];

    public IReadOnlyList<string> Partner { get; set; } = [];

    public IReadOnlyList<string> Competitor { get; set; } = [];
}

public sealed record IntentPolicy
{
    public string Mode { get; set; } = RouteAction.Human;

    public double MinConfidence { get; set; } = 0.8;

    public string? Owner { get; set; }

    public string? Template { get; set; }

    public bool DryRun { get; set; }

    public IReadOnlyDictionary<string, int> Sla { get; set; } = new Dictionary<string, int>();
}

/// <summary>One ordered rule: when every condition holds, its effects apply.</summary>
public sealed record PolicyRule
{
    public string Name { get; set; } = "";

    public string? Description { get; set; }

    public RuleConditions When { get; set; } = new();

    public RuleEffects Then { get; set; } = new();
}

/// <summary>Every condition set must hold; a list matches when any of its values does.</summary>
public sealed record RuleConditions
{
    public IReadOnlyList<string>? Senders { get; set; }

    public IReadOnlyList<string>? SenderDomain { get; set; }

    public IReadOnlyList<string>? Mailboxes { get; set; }

    public IReadOnlyList<string>? Intents { get; set; }

    public IReadOnlyList<string>? Urgencies { get; set; }

    public IReadOnlyList<string>? Flags { get; set; }

    public double? ConfidenceBelow { get; set; }

    public string? Subject { get; set; }

    public string? Body { get; set; }

    public bool? OutsideBusinessHours { get; set; }
}

public sealed record RuleEffects
{
    /// <summary>review or human: the most autonomy left. A rule never grants auto-send.</summary>
    public string? Action { get; set; }

    public string? Owner { get; set; }

    public string? Template { get; set; }
}

public static class RouteAction
{
    public const string Auto = "auto";
    public const string Review = "review";
    public const string Human = "human";

    /// <summary>How far from automatic an action is: a rule may only raise it.</summary>
    public static int Rank(string action) => action switch
    {
        Auto => 0,
        Review => 1,
        _ => 2,
    };
}

/// <summary>What the policy does with mail that carries personal data.</summary>
public static class PiiHandling
{
    /// <summary>Personal data is replaced by placeholders before any hosted model sees the mail.</summary>
    public const string Redact = "redact";

    /// <summary>Mail with personal data never leaves Sift: only the local model classifies it.</summary>
    public const string LocalOnly = "local-only";

    /// <summary>Mail with personal data goes to a person.</summary>
    public const string HumanOnly = "human-only";
}

/// <summary>Sender domain kinds, as rules name them.</summary>
public static class DomainKind
{
    public const string Internal = "internal";
    public const string Customer = "customer";
    public const string Partner = "partner";
    public const string Competitor = "competitor";
    public const string Unknown = "unknown";
}
