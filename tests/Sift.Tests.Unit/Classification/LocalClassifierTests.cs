using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Sift.Classification;

public sealed class LocalClassifierTests
{
    [Fact]
    public void The_rationale_names_the_answer_and_all_three_runners_up_and_the_rules_keep_urgency_and_flags()
    {
        var options = Options.Create(new ClassificationOptions { LocalModel = Path.Combine(RepoPaths.Root, "samples", "models", "intents.siftmodel") });
        using var classifier = new LocalClassifier(options, new FixedOptionsMonitor<TaxonomyOptions>(TaxonomyOptions.Default()), NullLogger<LocalClassifier>.Instance);

        var classification = classifier.Classify(RepoPaths.Sample("07-complaint.eml"), []);

        Assert.Equal("complaint", classification.Intent);
        Assert.Equal(classifier.Version, classification.Model);
        Assert.Contains(PolicyFlags.Complaint, classification.PolicyFlags);
        var runnersUp = classification.Rationale[(classification.Rationale.IndexOf("; then ", StringComparison.Ordinal) + 7)..].Split(", ");
        Assert.Equal(3, runnersUp.Length);
        Assert.DoesNotContain(runnersUp, r => r.StartsWith("complaint ", StringComparison.Ordinal));
    }
}
