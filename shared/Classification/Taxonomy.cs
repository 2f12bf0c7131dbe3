using System.Collections.Immutable;

namespace Sift.Classification;

/// <summary>
/// What a classifier may answer (section <c>Sift:Taxonomy</c>): intents with a description and examples, urgency
/// levels, owners and policy flags. Any other value from a classifier is a failure, never a label.
/// </summary>
public sealed class TaxonomyOptions
{
    public const string Section = "Sift:Taxonomy";

    /// <summary>The intent given when none of the others fits (and when a classifier abstains).</summary>
    public string UnknownIntent { get; set; } = "other";

    public List<IntentDefinition> Intents { get; set; } = [];

    /// <summary>Urgency levels, lowest first: when the local and hosted answers differ, the higher one is kept.</summary>
    public List<string> Urgencies { get; set; } = [];

    /// <summary>Teams, people or aliases a message can be given to.</summary>
    public List<string> Owners { get; set; } = [];

    public List<string> PolicyFlags { get; set; } = [];

    public ImmutableArray<string> IntentNames => [.. Intents.Select(i => i.Name)];

    public bool IsIntent(string value) => Intents.Exists(i => i.Name == value);

    public IntentDefinition? Intent(string name) => Intents.Find(i => i.Name == name);

    /// <summary>The taxonomy Sift ships: the demo mailbox's intents, used when none is configured.</summary>
    public static TaxonomyOptions Default() => new()
    {
        UnknownIntent = "other",
        Intents =
        [
            new() { Name = "support", Description = "A customer reports a problem, an error or asks how to use the product.", Examples = ["I can't log in since this morning", "The CSV export fails with an error"] },
            new() { Name = "sales", Description = "Someone wants to buy, add seats, start a trial or talk to sales.", Examples = ["We'd like to buy 25 licences", "Can we extend our trial and talk about an order?"] },
            new() { Name = "scheduling", Description = "A request to set up, move or cancel a meeting, call or demo.", Examples = ["Could we book a 30 minute demo next week?", "Can we move Thursday's call to Friday?"] },
            new() { Name = "pricing", Description = "A question about prices, plans, quotes or what something costs.", Examples = ["How much is the Business plan per user?", "Do you have a price list for nonprofits?"] },
            new() { Name = "partner", Description = "Partnership, reseller, referral or affiliate proposals.", Examples = ["We are a reseller in Spain and want to partner", "Do you run a referral programme?"] },
            new() { Name = "complaint", Description = "The sender is unhappy and complains about the service, a charge or a person.", Examples = ["This is unacceptable, third outage this week", "I am very disappointed with your support"] },
            new() { Name = "other", Description = "Anything that fits none of the intents above.", Examples = ["Thanks, have a nice weekend", "Who is the right person for press enquiries?"] },
        ],
        Urgencies = ["low", "normal", "high"],
        Owners = ["support-team", "support-lead", "sales-team", "partnerships"],
        PolicyFlags =
        [
            global::Sift.Classification.PolicyFlags.Sensitive, global::Sift.Classification.PolicyFlags.Legal, global::Sift.Classification.PolicyFlags.Vip,
            global::Sift.Classification.PolicyFlags.Pii, global::Sift.Classification.PolicyFlags.Complaint, global::Sift.Classification.PolicyFlags.PromptInjectionSuspected,
        ],
    };

    /// <summary>The problems that make this taxonomy unusable, each naming its field; empty when it is valid.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Intents.Count == 0)
        {
            problems.Add("Intents: at least one intent is required.");
        }

        foreach (var duplicate in Intents.GroupBy(i => i.Name, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            problems.Add($"Intents: '{duplicate.Key}' is listed more than once.");
        }

        for (var i = 0; i < Intents.Count; i++)
        {
            if (string.IsNullOrWhiteSpace(Intents[i].Name))
            {
                problems.Add($"Intents[{i}].Name is required.");
            }

            if (Intents[i].LocalMinConfidence is < 0 or > 1)
            {
                problems.Add($"Intents[{i}].LocalMinConfidence must be between 0 and 1.");
            }
        }

        if (!IsIntent(UnknownIntent))
        {
            problems.Add($"UnknownIntent: '{UnknownIntent}' is not one of the intents.");
        }

        if (Urgencies.Count == 0)
        {
            problems.Add("Urgencies: at least one urgency level is required.");
        }

        if (Owners.Count == 0)
        {
            problems.Add("Owners: at least one owner is required.");
        }

        return problems;
    }
}

public sealed class IntentDefinition
{
    public string Name { get; set; } = "";

    public string Description { get; set; } = "";

    public List<string> Examples { get; set; } = [];

    /// <summary>
    /// The local model's answer for this intent is taken when its calibrated confidence reaches this value; below it,
    /// the hosted LLM is asked (when one is configured).
    /// </summary>
    public double LocalMinConfidence { get; set; } = 0.7;
}
