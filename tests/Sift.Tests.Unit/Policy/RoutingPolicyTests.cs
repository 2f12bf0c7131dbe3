using System.Text.Json.Nodes;
using Sift.Classification;

namespace Sift.Policy;

public sealed class RoutingPolicyTests
{
    private static RouteDecision Decide(
        LoadedPolicy policy,
        string intent,
        double confidence = 0.9,
        string urgency = "normal",
        string from = "ana.lopez@customer.example",
        string mailbox = TestMail.Mailbox,
        DateTimeOffset? at = null,
        PolicyOptions? levers = null,
        string subject = "Question about my account",
        params string[] flags) =>
        RoutingPolicy.Decide(
            policy,
            levers ?? new PolicyOptions(),
            TestMail.Message(from: from, subject: subject),
            mailbox,
            new Classification.Classification(intent, urgency, [.. flags], confidence, "test", "test"),
            at ?? TestMail.Now);

    private static RouteDecision Decide(Action<JsonObject> change, string intent, string from = "ana.lopez@customer.example", params string[] flags) =>
        Decide(TestPolicy.Load(change), intent, from: from, flags: flags);

    private static string[] Rules(RouteDecision decision) => [.. decision.Explanation.Select(r => r.Rule)];

    private static JsonNode Rule(string name, string when, string then) =>
        JsonNode.Parse($$"""{ "name": "{{name}}", "when": {{when}}, "then": {{then}} }""")!;

    private static void AddRules(JsonObject policy, params JsonNode[] rules)
    {
        var list = policy["rules"]!.AsArray();
        foreach (var rule in rules)
        {
            list.Add(rule);
        }
    }

    [Fact]
    public void An_auto_intent_with_enough_confidence_is_sent_automatically_with_its_owner_and_template()
    {
        var decision = Decide(TestPolicy.Load(), "scheduling");

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
        var decision = Decide(TestPolicy.Load(), intent);

        Assert.Equal(action, decision.Action);
        Assert.Equal(owner, decision.Owner);
    }

    [Fact]
    public void An_intent_without_a_rule_goes_to_a_human_and_the_fallback_owner()
    {
        var decision = Decide(TestPolicy.Load(), "other", confidence: 0.99);

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.Equal("support-lead", decision.Owner);
        Assert.Null(decision.TemplateId);
        Assert.Contains("'other'", decision.Explanation.Single(r => r.Rule == "intent-autonomy").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_classifier_sends_even_a_confident_auto_intent_to_a_human_and_says_why()
    {
        var classification = new Classification.Classification("scheduling", "normal", [], 0.99, "test", "test") { Failure = "the hosted model timed out" };

        var decision = RoutingPolicy.Decide(TestPolicy.Load(), new PolicyOptions(), TestMail.Message(), TestMail.Mailbox, classification, TestMail.Now);

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.Contains("the hosted model timed out", decision.Explanation.Single(r => r.Rule == "classifier-failed").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_intent_without_a_policy_takes_the_owner_the_classifier_suggests()
    {
        var classification = new Classification.Classification("other", "normal", [], 0.9, "test", "test") { Owner = "partnerships" };

        var decision = RoutingPolicy.Decide(TestPolicy.Load(), new PolicyOptions(), TestMail.Message(), TestMail.Mailbox, classification, TestMail.Now);

        Assert.Equal("partnerships", decision.Owner);
    }

    [Fact]
    public void A_vip_flag_caps_an_auto_send_to_review()
    {
        var decision = Decide(TestPolicy.Load(), "scheduling", flags: PolicyFlags.Vip);

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Contains("vip", Rules(decision));
    }

    [Theory]
    [InlineData("grace.kim@bigclient.example")]
    [InlineData("cfo@eu.bigclient.example")]
    public void A_sender_in_a_vip_domain_or_its_subdomains_is_capped_to_review_even_without_the_flag(string from)
    {
        var decision = Decide(TestPolicy.Load(), "scheduling", from: from);

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Contains("vip", Rules(decision));
    }

    [Theory]
    [InlineData("complaint")]
    [InlineData("other")]
    public void A_vip_never_raises_a_human_decision_to_review(string intent)
    {
        Assert.Equal(RouteAction.Human, Decide(TestPolicy.Load(), intent, flags: PolicyFlags.Vip).Action);
    }

    [Fact]
    public void Suspected_prompt_injection_always_goes_to_a_human()
    {
        var decision = Decide(TestPolicy.Load(), "scheduling", flags: PolicyFlags.PromptInjectionSuspected);

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.Contains("prompt-injection", Rules(decision));
    }

    [Theory]
    [InlineData("ana.lopez@customer.example", "ana.lopez@customer.example")]
    [InlineData("@customer.example", "ana.lopez@customer.example")]
    [InlineData("@customer.example", "ana@mail.customer.example")]
    [InlineData("*@*.example", "ana.lopez@customer.example")]
    [InlineData("ANA.LOPEZ@Customer.Example", "ana.lopez@customer.example")]
    public void A_blocklisted_sender_goes_to_a_human_whatever_the_intent(string pattern, string from)
    {
        var decision = Decide(p => p["senders"] = new JsonObject { ["block"] = new JsonArray(pattern) }, "scheduling", from: from);

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.Contains($"'{pattern}'", decision.Explanation.Single(r => r.Rule == "blocklist").Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("@customer.example", "ana@notcustomer.example")]
    [InlineData("ana@customer.example", "bob@customer.example")]
    public void A_block_pattern_does_not_catch_a_lookalike(string pattern, string from)
    {
        var decision = Decide(p => p["senders"] = new JsonObject { ["block"] = new JsonArray(pattern) }, "scheduling", from: from);

        Assert.Equal(RouteAction.Auto, decision.Action);
    }

    private static RouteDecision DecideWithReplyTo(LoadedPolicy policy, string from, string replyTo, string intent = "scheduling") =>
        RoutingPolicy.Decide(
            policy,
            new PolicyOptions(),
            TestMail.Message(from: from) with { ReplyTo = new Sift.Mail.EmailAddress(replyTo) },
            TestMail.Mailbox,
            new Classification.Classification(intent, "normal", [], 0.9, "test", "test"),
            TestMail.Now);

    [Fact]
    public void A_blocked_reply_to_address_is_caught_even_when_the_sender_is_not_blocked()
    {
        var policy = TestPolicy.Load(p => p["senders"] = JsonNode.Parse("""{ "block": ["@rival.example"] }"""));

        var decision = DecideWithReplyTo(policy, "ana.lopez@customer.example", "spy@rival.example");

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.StartsWith("spy@rival.example matches '@rival.example'", decision.Explanation.Single(r => r.Rule == "blocklist").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void An_allowlisted_sender_with_a_reply_to_elsewhere_gets_a_review()
    {
        var policy = TestPolicy.Load(p => p["senders"] = JsonNode.Parse("""{ "allow": ["@customer.example"] }"""));

        Assert.Equal(RouteAction.Auto, DecideWithReplyTo(policy, "ana.lopez@customer.example", "billing@customer.example").Action);
        var elsewhere = DecideWithReplyTo(policy, "ana.lopez@customer.example", "someone@gmail.example");
        Assert.Equal(RouteAction.Review, elsewhere.Action);
        Assert.StartsWith("someone@gmail.example is not on the allowlist", elsewhere.Explanation.Single(r => r.Rule == "allowlist").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_vip_reply_to_address_counts_as_a_vip()
    {
        Assert.Equal(RouteAction.Review, DecideWithReplyTo(TestPolicy.Load(), "assistant@customer.example", "grace@bigclient.example").Action);
    }

    [Fact]
    public void A_sender_domain_rule_matches_the_reply_to_domain_too()
    {
        var policy = TestPolicy.Load(p =>
        {
            p["domains"] = JsonNode.Parse("""{ "competitor": ["rival.example"] }""");
            AddRules(p, Rule("competitors", """{ "senderDomain": ["competitor"] }""", """{ "action": "human" }"""));
        });

        var decision = DecideWithReplyTo(policy, "ana.lopez@customer.example", "spy@rival.example");

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.StartsWith("the Reply-To domain is competitor", decision.Explanation.Single(r => r.Rule == "competitors").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void With_an_allowlist_only_listed_senders_get_automatic_replies()
    {
        Action<JsonObject> allow = p => p["senders"] = new JsonObject { ["allow"] = new JsonArray("@trusted.example") };

        var listed = Decide(allow, "scheduling", from: "ops@trusted.example");
        var other = Decide(allow, "scheduling", from: "ana.lopez@customer.example");

        Assert.Equal(RouteAction.Auto, listed.Action);
        Assert.Equal(RouteAction.Review, other.Action);
        Assert.Contains("allowlist", Rules(other));
    }

    [Fact]
    public void Personal_data_goes_to_a_human_when_the_policy_says_human_only()
    {
        var humanOnly = TestPolicy.Load(p => p["pii"] = PiiHandling.HumanOnly);

        Assert.Equal(RouteAction.Human, Decide(humanOnly, "scheduling", flags: PolicyFlags.Pii).Action);
        Assert.Equal(RouteAction.Auto, Decide(humanOnly, "scheduling").Action);
        Assert.Equal(RouteAction.Auto, Decide(TestPolicy.Load(), "scheduling", flags: PolicyFlags.Pii).Action);
    }

    [Theory]
    [InlineData(PolicyFlags.Legal, "legal")]
    [InlineData(PolicyFlags.Complaint, "complaint")]
    public void A_risk_flag_sends_even_an_auto_intent_to_a_human_whatever_the_policy_rules(string flag, string rule)
    {
        var decision = Decide(TestPolicy.Load(p => p["rules"] = new JsonArray()), "scheduling", flags: flag);

        Assert.Equal(RouteAction.Human, decision.Action);
        Assert.Equal(["intent-autonomy", rule], Rules(decision));
    }

    [Fact]
    public void A_rule_on_a_flag_says_which_flag_matched()
    {
        var decision = Decide(TestPolicy.Load(), "scheduling", flags: PolicyFlags.Legal);

        Assert.Equal("flagged legal", decision.Explanation.Single(r => r.Rule == "legal-hold").Reason);
    }

    [Theory]
    [InlineData("""{ "senders": ["@customer.example"] }""", true)]
    [InlineData("""{ "senders": ["@other.example"] }""", false)]
    [InlineData("""{ "senderDomain": ["customer"] }""", true)]
    [InlineData("""{ "senderDomain": ["partner"] }""", false)]
    [InlineData("""{ "senderDomain": ["unknown"] }""", false)]
    [InlineData("""{ "mailboxes": ["support@contoso.example"] }""", true)]
    [InlineData("""{ "mailboxes": ["sales@contoso.example"] }""", false)]
    [InlineData("""{ "intents": ["scheduling", "pricing"] }""", true)]
    [InlineData("""{ "intents": ["pricing"] }""", false)]
    [InlineData("""{ "urgencies": ["normal"] }""", true)]
    [InlineData("""{ "urgencies": ["high"] }""", false)]
    [InlineData("""{ "confidenceBelow": 0.95 }""", true)]
    [InlineData("""{ "confidenceBelow": 0.9 }""", false)]
    [InlineData("""{ "subject": "(?i)ACCOUNT" }""", true)]
    [InlineData("""{ "subject": "invoice" }""", false)]
    [InlineData("""{ "body": "address on my account" }""", true)]
    [InlineData("""{ "body": "refund" }""", false)]
    [InlineData("""{ "intents": ["scheduling"], "urgencies": ["high"] }""", false)]
    public void Each_condition_type_matches_only_what_it_names(string when, bool matches)
    {
        var policy = TestPolicy.Load(p =>
        {
            p["domains"] = new JsonObject { ["customer"] = new JsonArray("customer.example") };
            AddRules(p, Rule("probe", when, """{ "action": "review", "owner": "probe-owner" }"""));
        });

        var decision = Decide(policy, "scheduling", confidence: 0.9);

        Assert.Equal(matches, Rules(decision).Contains("probe"));
        Assert.Equal(matches ? RouteAction.Review : RouteAction.Auto, decision.Action);
        Assert.Equal(matches ? "probe-owner" : "sales-team", decision.Owner);
    }

    [Fact]
    public void A_rule_never_grants_more_autonomy_than_the_intent_has()
    {
        var policy = TestPolicy.Load(p => AddRules(p, Rule("to-review", """{ "intents": ["complaint"] }""", """{ "action": "review" }""")));

        Assert.Equal(RouteAction.Human, Decide(policy, "complaint").Action);
    }

    [Fact]
    public void The_first_matching_rule_sets_the_owner_and_template_and_later_ones_say_they_were_not_applied()
    {
        var policy = TestPolicy.Load(p => AddRules(
            p,
            Rule("first", """{ "urgencies": ["normal"] }""", """{ "owner": "first-owner", "template": "generic-ack-v1" }"""),
            Rule("second", """{ "intents": ["scheduling"] }""", """{ "owner": "second-owner", "action": "review" }""")));

        var decision = Decide(policy, "scheduling");

        Assert.Equal("first-owner", decision.Owner);
        Assert.Equal("generic-ack-v1", decision.TemplateId);
        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Equal(["intent-autonomy", "first", "second"], Rules(decision));
        Assert.Contains("owner second-owner not applied: rule 'first' set first-owner first", decision.Explanation[2].Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Actions_of_every_matching_rule_add_up_to_the_safest()
    {
        var policy = TestPolicy.Load(p => AddRules(
            p,
            Rule("human-first", """{ "urgencies": ["normal"] }""", """{ "action": "human" }"""),
            Rule("review-later", """{ "intents": ["scheduling"] }""", """{ "action": "review" }""")));

        Assert.Equal(RouteAction.Human, Decide(policy, "scheduling").Action);
    }

    [Fact]
    public void Outside_business_hours_an_auto_send_becomes_what_the_policy_says()
    {
        var policy = TestPolicy.Load(p =>
        {
            p["timeZone"] = "Europe/London";
            p["businessHours"] = JsonNode.Parse("""{ "start": "09:00", "end": "17:30", "outsideHours": "review" }""");
        });
        var tuesdayMorning = new DateTimeOffset(2026, 11, 10, 10, 0, 0, TimeSpan.Zero);
        var tuesdayNight = new DateTimeOffset(2026, 11, 10, 22, 0, 0, TimeSpan.Zero);
        var saturday = new DateTimeOffset(2026, 11, 14, 11, 0, 0, TimeSpan.Zero);

        Assert.Equal(RouteAction.Auto, Decide(policy, "scheduling", at: tuesdayMorning).Action);
        var night = Decide(policy, "scheduling", at: tuesdayNight);
        Assert.Equal(RouteAction.Review, night.Action);
        Assert.Contains("Tue 22:00 (Europe/London) is outside business hours", night.Explanation.Single(r => r.Rule == "business-hours").Reason, StringComparison.Ordinal);
        Assert.Equal(RouteAction.Review, Decide(policy, "scheduling", at: saturday).Action);
    }

    [Fact]
    public void A_rule_can_match_outside_business_hours_in_the_policy_time_zone()
    {
        var policy = TestPolicy.Load(p =>
        {
            p["timeZone"] = "America/New_York";
            p["businessHours"] = JsonNode.Parse("""{ "start": "09:00", "end": "17:00" }""");
            AddRules(p, Rule("after-hours", """{ "outsideBusinessHours": true }""", """{ "owner": "on-call" }"""));
        });

        // 13:30 UTC is 08:30 in New York in November: before opening.
        Assert.Equal("on-call", Decide(policy, "support", at: new DateTimeOffset(2026, 11, 10, 13, 30, 0, TimeSpan.Zero)).Owner);
        Assert.Equal("support-team", Decide(policy, "support", at: new DateTimeOffset(2026, 11, 10, 15, 0, 0, TimeSpan.Zero)).Owner);
    }

    [Fact]
    public void A_confidence_below_the_intent_minimum_turns_auto_into_review()
    {
        var decision = Decide(TestPolicy.Load(), "scheduling", confidence: 0.59);

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Equal(["intent-autonomy", "min-confidence"], Rules(decision));
    }

    [Fact]
    public void A_confidence_equal_to_the_intent_minimum_is_enough_for_auto()
    {
        Assert.Equal(RouteAction.Auto, Decide(TestPolicy.Load(), "scheduling", confidence: 0.6).Action);
    }

    [Fact]
    public void The_policy_kill_switch_turns_auto_into_review_and_leaves_a_human_decision_with_the_human()
    {
        var policy = TestPolicy.Load(p => p["killSwitch"] = true);

        var decision = Decide(policy, "scheduling");

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Equal(["intent-autonomy", "kill-switch"], Rules(decision));
        Assert.Equal(RouteAction.Human, Decide(policy, "complaint").Action);
    }

    [Fact]
    public void The_operator_kill_switch_acts_over_a_policy_that_has_it_off_and_says_so()
    {
        var decision = Decide(TestPolicy.Load(), "scheduling", levers: new PolicyOptions { KillSwitch = true });

        Assert.Equal(RouteAction.Review, decision.Action);
        Assert.Contains("Sift:Policy:KillSwitch", decision.Explanation.Single(r => r.Rule == "kill-switch").Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void Global_dry_run_is_recorded_on_the_decision_without_changing_the_action()
    {
        var decision = Decide(TestPolicy.Load(p => p["dryRun"] = true), "scheduling");

        Assert.True(decision.DryRun);
        Assert.Equal(RouteAction.Auto, decision.Action);
        Assert.Equal(["intent-autonomy", "dry-run"], Rules(decision));
    }

    [Fact]
    public void Dry_run_per_intent_applies_to_that_intent_only()
    {
        var policy = TestPolicy.Load(p => p["intents"]!["scheduling"]!["dryRun"] = true);

        Assert.True(Decide(policy, "scheduling").DryRun);
        Assert.Contains("intent 'scheduling'", Decide(policy, "scheduling").Explanation.Single(r => r.Rule == "dry-run").Reason, StringComparison.Ordinal);
        Assert.False(Decide(policy, "support").DryRun);
    }

    [Fact]
    public void The_operator_dry_run_acts_over_the_policy()
    {
        Assert.True(Decide(TestPolicy.Load(), "support", levers: new PolicyOptions { DryRun = true }).DryRun);
        Assert.False(Decide(TestPolicy.Load(), "support").DryRun);
    }

    [Fact]
    public void The_explanation_names_every_rule_that_matched_in_evaluation_order()
    {
        var decision = Decide(
            TestPolicy.Load(),
            "scheduling",
            from: "grace.kim@bigclient.example",
            flags: [PolicyFlags.Complaint, PolicyFlags.Legal, PolicyFlags.PromptInjectionSuspected]);

        Assert.Equal(["intent-autonomy", "prompt-injection", "legal", "complaint", "legal-hold", "complaint-hold", "vip"], Rules(decision));
        Assert.All(decision.Explanation, r => Assert.False(string.IsNullOrWhiteSpace(r.Reason), r.Rule));
    }

    [Theory]
    [InlineData("high", 60)]
    [InlineData("normal", 240)]
    [InlineData("low", 1440)]
    [InlineData("unheard-of", RoutingPolicy.DefaultSlaMinutes)]
    public void The_sla_deadline_follows_the_urgency(string urgency, int minutes)
    {
        Assert.Equal(TestMail.Now.AddMinutes(minutes), Decide(TestPolicy.Load(), "support", urgency: urgency).SlaDeadline);
    }

    [Fact]
    public void An_intent_sla_overrides_the_policy_sla_for_its_urgency_only()
    {
        var policy = TestPolicy.Load(p => p["intents"]!["support"]!["sla"] = new JsonObject { ["high"] = 15 });

        Assert.Equal(TestMail.Now.AddMinutes(15), Decide(policy, "support", urgency: "high").SlaDeadline);
        Assert.Equal(TestMail.Now.AddMinutes(240), Decide(policy, "support", urgency: "normal").SlaDeadline);
        Assert.Equal(TestMail.Now.AddMinutes(60), Decide(policy, "scheduling", urgency: "high").SlaDeadline);
    }

    [Fact]
    public void With_business_hours_the_sla_counts_business_time_only()
    {
        var policy = TestPolicy.Load(p =>
        {
            p["timeZone"] = "Europe/London";
            p["businessHours"] = JsonNode.Parse("""{ "start": "09:00", "end": "17:00" }""");
        });
        var fridayAfternoon = new DateTimeOffset(2026, 11, 13, 16, 30, 0, TimeSpan.Zero);

        // 30 minutes on Friday, the other 30 on Monday morning.
        Assert.Equal(new DateTimeOffset(2026, 11, 16, 9, 30, 0, TimeSpan.Zero), Decide(policy, "support", urgency: "high", at: fridayAfternoon).SlaDeadline);
    }

    [Fact]
    public void The_decision_records_the_policy_version_a_content_hash_of_the_file()
    {
        var policy = TestPolicy.Load();
        var expected = "sha256:" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(TestPolicy.Base)))[..16];

        Assert.Equal(expected, policy.Version);
        Assert.Equal(expected, Decide(policy, "scheduling").PolicyVersion);
    }

    [Fact]
    public void Any_change_to_the_document_changes_the_version()
    {
        Assert.NotEqual(TestPolicy.Load().Version, TestPolicy.Load(p => p["intents"]!["scheduling"]!["minConfidence"] = 0.61).Version);
    }

    [Fact]
    public void The_shipped_cases_pass_on_the_shipped_policy()
    {
        var policy = TestPolicy.Load(File.ReadAllText(TestPolicy.ShippedFile));
        var (cases, error) = PolicyCases.Parse(File.ReadAllBytes(Path.Combine(AppContext.BaseDirectory, "policy", "policy.cases.json")));

        Assert.Null(error);
        Assert.All(cases!.Select(c => PolicyCases.Run(policy, c)), r => Assert.True(r.Passed, $"{r.Case.Name}: {string.Join("; ", r.Differences)}"));
    }
}
