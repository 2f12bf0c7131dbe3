namespace Sift.Classification;

public sealed class TaxonomyTests
{
    [Fact]
    public void The_shipped_taxonomy_is_valid_and_covers_the_default_policy_intents()
    {
        var taxonomy = TaxonomyOptions.Default();

        Assert.Empty(taxonomy.Validate());
        Assert.Equal(["support", "sales", "scheduling", "pricing", "partner", "complaint", "other"], taxonomy.IntentNames);
        Assert.Contains(PolicyFlags.PromptInjectionSuspected, taxonomy.PolicyFlags);
    }

    [Fact]
    public void Every_problem_is_reported_with_the_field_it_concerns()
    {
        var taxonomy = new TaxonomyOptions
        {
            UnknownIntent = "unknown",
            Intents =
            [
                new IntentDefinition { Name = "billing" },
                new IntentDefinition { Name = "billing" },
                new IntentDefinition { Name = " ", LocalMinConfidence = 1.5 },
            ],
        };

        var problems = taxonomy.Validate();

        Assert.Contains("Intents: 'billing' is listed more than once.", problems);
        Assert.Contains("Intents[2].Name is required.", problems);
        Assert.Contains("Intents[2].LocalMinConfidence must be between 0 and 1.", problems);
        Assert.Contains("UnknownIntent: 'unknown' is not one of the intents.", problems);
        Assert.Contains("Urgencies: at least one urgency level is required.", problems);
        Assert.Contains("Owners: at least one owner is required.", problems);
    }
}
