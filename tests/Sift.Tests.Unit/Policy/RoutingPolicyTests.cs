using Sift.Classification;

namespace Sift.Policy;

public sealed class RoutingPolicyTests
{
    private static readonly Dictionary<string, Action<PolicyOptions>> Changes = new()
    {
        ["kill switch"] = o => o.KillSwitch = true,
        ["dry run"] = o => o.DryRun = true,
        ["vip added"] = o => o.Vips.Add("ceo@globex.example"),
        ["intent mode"] = o => o.Intents["support"].Mode = RouteAction.Auto,
        ["min confidence"] = o => o.Intents["scheduling"].MinConfidence = 0.95,
        ["intent added"] = o => o.Intents["pricing"] = new IntentPolicy { Mode = RouteAction.Auto },
        ["sla"] = o => o.SlaMinutes["high"] = 30,
        ["slot"] = o => o.Slots["calendar_link"] = "https://cal.contoso.example/new",
        ["fallback owner"] = o => o.FallbackOwner = "ops-lead",
        ["loop guard"] = o => o.AutoRepliesPerSender = 3,
    };

    private static PolicyOptions Options() => new()
    {
        FallbackOwner = "support-lead",
        Vips = ["@bigclient.example"],
        Intents =
        {
            ["scheduling"] = new IntentPolicy { Mode = RouteAction.Auto, MinConfidence = 0.6, Owner = "sales-team", Template = "scheduling-v1" },
            ["support"] = new IntentPolicy { Mode = RouteAction.Review, MinConfidence = 0.6, Owner = "support-team", Template = "support-ack-v1" },
            ["complaint"] = new IntentPolicy { Mode = RouteAction.Human, Owner = "account-managers" },
        },
        Slots = { ["calendar_link"] = "https://cal.contoso.example/sales" },
    };

    private static RouteDecision Decide(
        PolicyOptions options,
        string intent,
        double confidence = 0.9,
        string urgency = "normal",
        string from = "ana.lopez@customer.example",
        params string[] flags) =>
        new RoutingPolicy(new FixedOptionsMonitor<PolicyOptions>(options)).Decide(
            TestMail.Message(from: from),
            new Classification.Classification(intent, urgency, [.. flags], confidence, "test", "test"),
            TestMail.Now);

    private static string[] Rules(RouteDecision decision) => [.. decision.Explanation.Select(r => r.Rule)];

    [Fact]
    public void An_auto_intent_with_enough_confidence_is_sent_automatically_with_its_owner_and_template()
    {
        var decision = Decide(Options(), "scheduling");

        Assert.Equal(RouteAction.Auto, decision.Action);
        Assert.Equal("sales-team", decision.Owner);
        Assert.Equal("scheduling-v1", decision.TemplateId);
        Assert.Equal(["intent-autonomy"], Rules(decision));
    }

    [Theory]
    [InlineData("support", RouteAction.Review, "support-team")]
    [InlineData("complaint", RouteAction.Human, "account-managers")]
    public void An_intent_gets_the_autonomy_and_owner_the_policy_sets(string intent, string action, string owner)
    {
        var decision = Decide(Options(), intent);

        Assert.Equal(action, decision.Action);
        Assert.Equal(owner, decision.Owner);
    }

    [Fact]
    public void An_intent_without_a_rule_goes_to_a_human_and_the_fallback_owner()
    {
        var decision = Decide(Options(), "other", confidence: 0.99);

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.Equal("support-lead", decision.Owner);
        Assert.Null(decision.TemplateId);
        Assert.Contains("'other'", decision.Explanation.Single(r => r.Rule == "intent-autonomy").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_classifier_sends_even_a_confident_auto_intent_to_a_human_and_says_why()
    {
        var classification = new Classification.Classification("scheduling", "normal", [], 0.99, "test", "test") { Failure = "the hosted model timed out" };

        var decision = new RoutingPolicy(new FixedOptionsMonitor<PolicyOptions>(Options())).Decide(TestMail.Message(), classification, TestMail.Now);

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.Contains("the hosted model timed out", decision.Explanation.Single(r => r.Rule == "classifier-failed").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_intent_without_a_policy_takes_the_owner_the_classifier_suggests()
    {
        var classification = new Classification.Classification("other", "normal", [], 0.9, "test", "test") { Owner = "partnerships" };

        var decision = new RoutingPolicy(new FixedOptionsMonitor<PolicyOptions>(Options())).Decide(TestMail.Message(), classification, TestMail.Now);

        Assert.Equal("partnerships", decision.Owner);
    }

    [Fact]
    public void A_vip_flag_caps_an_auto_send_to_review()
    {
        var decision = Decide(Options(), "scheduling", flags: PolicyFlags.Vip);

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Contains("vip", Rules(decision));
    }

    [Fact]
    public void A_sender_in_a_policy_vip_domain_is_capped_to_review_even_without_the_flag()
    {
        var decision = Decide(Options(), "scheduling", from: "grace.kim@bigclient.example");

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Contains("vip", Rules(decision));
    }

    [Theory]
    [InlineData("complaint")]
    [InlineData("other")]
    public void A_vip_never_raises_a_human_decision_to_review(string intent)
    {
        var decision = Decide(Options(), intent, flags: PolicyFlags.Vip);

        Assert.Equal(RouteAction.Human, decision.Action);
    }

    [Theory]
    [InlineData(PolicyFlags.Complaint, "complaint")]
    [InlineData(PolicyFlags.Legal, "legal")]
    [InlineData(PolicyFlags.PromptInjectionSuspected, "prompt-injection")]
    public void A_risk_flag_sends_even_an_auto_intent_to_a_human(string flag, string rule)
    {
        var decision = Decide(Options(), "scheduling", flags: flag);

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.Contains(rule, Rules(decision));
    }

    [Fact]
    public void A_confidence_below_the_intent_minimum_turns_auto_into_review()
    {
        var decision = Decide(Options(), "scheduling", confidence: 0.59);

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Equal(["intent-autonomy", "min-confidence"], Rules(decision));
    }

    [Fact]
    public void A_confidence_equal_to_the_intent_minimum_is_enough_for_auto()
    {
        Assert.Equal(RouteAction.Auto, Decide(Options(), "scheduling", confidence: 0.6).Action);
    }

    [Fact]
    public void The_kill_switch_turns_auto_into_review()
    {
        var options = Options();
        options.KillSwitch = true;

        var decision = Decide(options, "scheduling");

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Equal(["intent-autonomy", "kill-switch"], Rules(decision));
    }

    [Fact]
    public void The_kill_switch_leaves_a_human_decision_with_the_human()
    {
        var options = Options();
        options.KillSwitch = true;

        Assert.Equal(RouteAction.Human, Decide(options, "complaint").Action);
    }

    [Fact]
    public void Dry_run_is_recorded_on_the_decision_without_changing_the_action()
    {
        var options = Options();
        options.DryRun = true;

        var decision = Decide(options, "scheduling");

        Assert.True(decision.DryRun);
        Assert.Equal(RouteAction.Auto, decision.Action);
        Assert.Equal(["intent-autonomy", "dry-run"], Rules(decision));
    }

    [Fact]
    public void Without_dry_run_the_decision_is_not_marked_dry_run()
    {
        Assert.False(Decide(Options(), "scheduling").DryRun);
    }

    [Fact]
    public void The_explanation_names_every_rule_that_matched_in_evaluation_order()
    {
        var decision = Decide(
            Options(),
            "scheduling",
            from: "grace.kim@bigclient.example",
            flags: [PolicyFlags.Complaint, PolicyFlags.Legal, PolicyFlags.PromptInjectionSuspected]);

        Assert.Equal(["intent-autonomy", "prompt-injection", "legal", "complaint", "vip"], Rules(decision));
        Assert.All(decision.Explanation, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason), r.Rule));
    }

    [Theory]
    [InlineData("high", 60)]
    [InlineData("normal", 240)]
    [InlineData("low", 1440)]
    [InlineData("unheard-of", 240)]
    public void The_sla_deadline_follows_the_urgency(string urgency, int minutes)
    {
        Assert.Equal(TestMail.Now.AddMinutes(minutes), Decide(Options(), "support", urgency: urgency).SlaDeadline);
    }

    [Fact]
    public void The_decision_records_the_current_policy_version()
    {
        var options = Options();
        var policy = new RoutingPolicy(new FixedOptionsMonitor<PolicyOptions>(options));

        Assert.Equal(policy.Version, Decide(options, "scheduling").PolicyVersion);
    }

    [Fact]
    public void The_policy_version_is_the_same_for_equal_options()
    {
        var first = new RoutingPolicy(new FixedOptionsMonitor<PolicyOptions>(Options()));
        var second = new RoutingPolicy(new FixedOptionsMonitor<PolicyOptions>(Options()));

        Assert.Equal(first.Version, second.Version);
        Assert.Equal(first.Version, first.Version);
    }

    [Theory]
    [InlineData("kill switch")]
    [InlineData("dry run")]
    [InlineData("vip added")]
    [InlineData("intent mode")]
    [InlineData("min confidence")]
    [InlineData("intent added")]
    [InlineData("sla")]
    [InlineData("slot")]
    [InlineData("fallback owner")]
    [InlineData("loop guard")]
    public void The_policy_version_changes_when_an_option_changes(string change)
    {
        var options = Options();
        var policy = new RoutingPolicy(new FixedOptionsMonitor<PolicyOptions>(options));
        var before = policy.Version;

        Changes[change](options);

        Assert.NotEqual(before, policy.Version);
    }
}
