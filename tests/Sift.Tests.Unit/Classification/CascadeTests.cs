namespace Sift.Classification;

public sealed class CascadeTests
{
    private static readonly TaxonomyOptions Taxonomy = TaxonomyOptions.Default();

    private static Classification Local(string intent, double confidence, params string[] flags) =>
        new(intent, "normal", [.. flags], confidence, "local test", "local-abc");

    [Fact]
    public void A_confident_local_answer_stands_and_the_hosted_model_is_not_asked()
    {
        var verdict = Cascade.Decide(Local("pricing", 0.93), Taxonomy, llmConfigured: true, abstainBelow: 0.25);

        Assert.False(verdict.AskLlm);
        Assert.Equal(CascadeChoice.Local, verdict.Outcome);
        Assert.Equal("local answer pricing at 0.93 reaches the intent's 0.7", verdict.Reason);
    }

    [Fact]
    public void The_threshold_is_the_intents_own()
    {
        var taxonomy = TaxonomyOptions.Default();
        taxonomy.Intent("pricing")!.LocalMinConfidence = 0.95;

        Assert.True(Cascade.Decide(Local("pricing", 0.93), taxonomy, llmConfigured: true, abstainBelow: 0.25).AskLlm);
        Assert.False(Cascade.Decide(Local("support", 0.93), taxonomy, llmConfigured: true, abstainBelow: 0.25).AskLlm);
    }

    [Theory]
    [InlineData("pricing", 0.5, "local confidence 0.5 for pricing is under the intent's 0.7")]
    [InlineData("card_arrival", 0.99, "the local answer 'card_arrival' is not an intent of the taxonomy")]
    public void An_unsure_or_uncovered_local_answer_asks_the_hosted_model(string intent, double confidence, string why)
    {
        var verdict = Cascade.Decide(Local(intent, confidence), Taxonomy, llmConfigured: true, abstainBelow: 0.25);

        Assert.True(verdict.AskLlm);
        Assert.StartsWith(why, verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_a_hosted_model_an_uncovered_answer_is_a_failure_never_a_label()
    {
        var verdict = Cascade.Decide(Local("card_arrival", 0.99), Taxonomy, llmConfigured: false, abstainBelow: 0.25);

        Assert.Equal(CascadeChoice.Failed, verdict.Outcome);
        Assert.Equal("other", verdict.Classification.Intent);
        Assert.NotNull(verdict.Classification.Failure);
    }

    [Fact]
    public void Without_a_hosted_model_a_very_low_answer_abstains_to_the_unknown_intent()
    {
        var verdict = Cascade.Decide(Local("pricing", 0.2), Taxonomy, llmConfigured: false, abstainBelow: 0.25);

        Assert.Equal(CascadeChoice.Unknown, verdict.Outcome);
        Assert.Equal("other", verdict.Classification.Intent);
        Assert.Equal(0.2, verdict.Classification.Confidence);
    }

    [Fact]
    public void Without_a_hosted_model_a_low_answer_above_the_abstention_level_keeps_its_label_for_the_policy_to_weigh()
    {
        var verdict = Cascade.Decide(Local("pricing", 0.5), Taxonomy, llmConfigured: false, abstainBelow: 0.25);

        Assert.Equal(CascadeChoice.Local, verdict.Outcome);
        Assert.Equal("pricing", verdict.Classification.Intent);
        Assert.Null(verdict.Classification.Failure);
    }

    [Fact]
    public void The_hosted_answer_is_chosen_and_keeps_every_flag_the_local_rules_found()
    {
        var verdict = Cascade.Decide(Local("pricing", 0.4, PolicyFlags.PromptInjectionSuspected, PolicyFlags.Vip), Taxonomy, llmConfigured: true, abstainBelow: 0.25);
        var llm = new Classification("support", "high", [PolicyFlags.Pii], 0.91, "asks about a broken export", "openai:gpt-4o-mini") { Owner = "support-team" };

        var choice = Cascade.Choose(verdict, llm, llmFailure: null, Taxonomy.Urgencies);

        Assert.Equal(CascadeChoice.Llm, choice.Chosen);
        Assert.Equal("support", choice.Classification.Intent);
        Assert.Equal("openai:gpt-4o-mini", choice.Classification.Model);
        Assert.Equal("support-team", choice.Classification.Owner);
        Assert.Equal([PolicyFlags.PromptInjectionSuspected, PolicyFlags.Vip, PolicyFlags.Pii], choice.Classification.PolicyFlags);
        Assert.Contains("local model: pricing 0.4", choice.Classification.Rationale, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_hosted_model_leaves_the_local_answer_marked_as_failed_so_a_human_reads_it()
    {
        var verdict = Cascade.Decide(Local("pricing", 0.4), Taxonomy, llmConfigured: true, abstainBelow: 0.25);

        var choice = Cascade.Choose(verdict, llm: null, llmFailure: "timed out after 3 attempts", Taxonomy.Urgencies);

        Assert.Equal(CascadeChoice.Failed, choice.Chosen);
        Assert.Equal("timed out after 3 attempts", choice.Classification.Failure);
        Assert.Equal("pricing", choice.Classification.Intent);
    }

    [Theory]
    [InlineData("high", "normal", "high")]
    [InlineData("normal", "high", "high")]
    [InlineData("low", "normal", "normal")]
    public void The_higher_urgency_of_the_two_answers_is_kept(string local, string hosted, string expected)
    {
        var verdict = Cascade.Decide(Local("pricing", 0.4) with { Urgency = local }, Taxonomy, llmConfigured: true, abstainBelow: 0.25);
        var llm = new Classification("pricing", hosted, [], 0.9, "asks for a quote", "openai:gpt-4o-mini");

        Assert.Equal(expected, Cascade.Choose(verdict, llm, llmFailure: null, Taxonomy.Urgencies).Classification.Urgency);
    }
}
