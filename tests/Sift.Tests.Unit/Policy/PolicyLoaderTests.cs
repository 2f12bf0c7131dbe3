using System.Text.Json.Nodes;

namespace Sift.Policy;

public sealed class PolicyLoaderTests
{
    private static string[] Errors(string json)
    {
        var result = TestPolicy.TryLoad(json);
        Assert.False(result.IsValid);
        Assert.Null(result.Policy);
        return [.. result.Errors.Select(e => e.ToString())];
    }

    private static string[] Errors(Action<JsonObject> change) => Errors(TestPolicy.Edit(change));

    [Fact]
    public void The_shipped_policy_is_valid_without_warnings()
    {
        var result = TestPolicy.TryLoad(File.ReadAllText(TestPolicy.ShippedFile));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void Broken_json_names_the_line()
    {
        var error = Assert.Single(Errors("{ \"company\": \"Contoso\",\n  \"intents\": { ] }"));

        Assert.StartsWith("$", error, StringComparison.Ordinal);
        Assert.Contains("line 2", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_wrong_type_names_its_json_path()
    {
        var error = Assert.Single(Errors(p => p["intents"]!["scheduling"]!["minConfidence"] = "high"));

        Assert.StartsWith("$.intents.scheduling.minConfidence: ", error, StringComparison.Ordinal);
        Assert.Contains("number", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_value_out_of_range_names_its_json_path()
    {
        Assert.StartsWith("$.intents.scheduling.minConfidence: ", Assert.Single(Errors(p => p["intents"]!["scheduling"]!["minConfidence"] = 1.5)), StringComparison.Ordinal);
    }

    [Fact]
    public void A_whole_number_written_with_a_decimal_point_is_refused_with_its_path_instead_of_crashing()
    {
        // The schema's "integer" accepts 60.0; the document's int does not.
        var error = Assert.Single(Errors(TestPolicy.Base.Replace("\"high\": 60", "\"high\": 60.0", StringComparison.Ordinal)));

        Assert.StartsWith("$.sla.high: the value does not fit its type", error, StringComparison.Ordinal);
    }

    [Fact]
    public void A_misspelt_property_is_named()
    {
        var error = Assert.Single(Errors(p => p["killswitch"] = true));

        Assert.Equal("$.killswitch: 'killswitch' is not a property the policy schema knows here: check its spelling against policy/policy.schema.json", error);
    }

    [Fact]
    public void A_missing_required_property_is_named()
    {
        Assert.Contains(Errors(p => p.Remove("fallbackOwner")), e => e.StartsWith("$: ", StringComparison.Ordinal) && e.Contains("fallbackOwner", StringComparison.Ordinal));
    }

    [Fact]
    public void A_rule_may_not_grant_auto_send()
    {
        var errors = Errors(p => p["rules"]![0]!["then"]!["action"] = "auto");

        Assert.Contains(errors, e => e.StartsWith("$.rules[0].then.action: ", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_intent_is_refused_with_the_intents_the_taxonomy_has()
    {
        var error = Assert.Single(Errors(p => p["intents"]!["refunds"] = JsonNode.Parse("""{ "mode": "review" }""")));

        Assert.Equal("$.intents.refunds: unknown intent 'refunds'; the taxonomy has: complaint, other, partner, pricing, sales, scheduling, support", error);
    }

    [Fact]
    public void An_unknown_intent_urgency_or_flag_in_a_rule_is_refused()
    {
        var errors = Errors(p => p["rules"]!.AsArray().Add(JsonNode.Parse(
            """{ "name": "typos", "when": { "intents": ["suport"], "urgencies": ["urgent"], "flags": ["lawyer"] }, "then": { "action": "review" } }""")));

        Assert.Contains(errors, e => e.StartsWith("$.rules[2].when.intents[0]: unknown intent 'suport'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("$.rules[2].when.urgencies[0]: unknown urgency 'urgent'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("$.rules[2].when.flags[0]: unknown policy flag 'lawyer'", StringComparison.Ordinal));
    }

    [Fact]
    public void An_unknown_urgency_in_an_sla_is_refused()
    {
        Assert.StartsWith("$.sla.urgent: unknown urgency 'urgent'", Assert.Single(Errors(p => p["sla"]!["urgent"] = 10)), StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_template_is_refused()
    {
        Assert.StartsWith(
            "$.intents.scheduling.template: no template has the id 'scheduling-v9'",
            Assert.Single(Errors(p => p["intents"]!["scheduling"]!["template"] = "scheduling-v9")),
            StringComparison.Ordinal);
    }

    [Fact]
    public void An_auto_intent_needs_a_template_allowed_for_auto_send()
    {
        Assert.Contains("is not allowed for auto-send", Assert.Single(Errors(p => p["intents"]!["support"]!["mode"] = "auto")), StringComparison.Ordinal);
        Assert.Equal(
            "$.intents.scheduling.template: an intent answered automatically needs a template",
            Assert.Single(Errors(p => p["intents"]!["scheduling"]!.AsObject().Remove("template"))));
    }

    [Fact]
    public void A_bad_regular_expression_is_refused_with_its_path()
    {
        var error = Assert.Single(Errors(p => p["rules"]!.AsArray().Add(JsonNode.Parse(
            """{ "name": "invoices", "when": { "subject": "(invoice" }, "then": { "owner": "finance" } }"""))));

        Assert.StartsWith("$.rules[2].when.subject: not a valid regular expression", error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unknown_time_zone_and_inverted_business_hours_are_refused()
    {
        var errors = Errors(p =>
        {
            p["timeZone"] = "Mars/Olympus";
            p["businessHours"] = JsonNode.Parse("""{ "start": "18:00", "end": "09:00" }""");
        });

        Assert.Contains(errors, e => e.StartsWith("$.timeZone: unknown time zone 'Mars/Olympus'", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("$.businessHours.end: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Outside_business_hours_needs_business_hours()
    {
        Assert.StartsWith("$.rules[2].when.outsideBusinessHours: ", Assert.Single(Errors(p => p["rules"]!.AsArray().Add(JsonNode.Parse(
            """{ "name": "night", "when": { "outsideBusinessHours": true }, "then": { "owner": "on-call" } }""")))), StringComparison.Ordinal);
    }

    [Fact]
    public void Rule_names_are_unique_and_not_those_of_built_in_rules()
    {
        var errors = Errors(p => p["rules"]!.AsArray().Add(JsonNode.Parse("""{ "name": "legal-hold", "when": { "intents": ["sales"] }, "then": { "owner": "x" } }""")));
        Assert.Contains(errors, e => e.StartsWith("$.rules[2].name: rule name 'legal-hold' is already used by $.rules[0]", StringComparison.Ordinal));

        var builtIn = Errors(p => p["rules"]!.AsArray().Add(JsonNode.Parse("""{ "name": "vip", "when": { "intents": ["sales"] }, "then": { "owner": "x" } }""")));
        Assert.Contains(builtIn, e => e.StartsWith("$.rules[2].name: 'vip' is the name of a built-in rule", StringComparison.Ordinal));
    }

    [Fact]
    public void A_rule_hidden_by_an_earlier_rule_that_matches_everything_it_matches_is_reported_as_overlapping()
    {
        var error = Assert.Single(Errors(p => p["rules"]!.AsArray().Add(JsonNode.Parse(
            """{ "name": "legal-sales", "when": { "flags": ["legal"], "intents": ["sales"] }, "then": { "action": "human" } }"""))));

        Assert.Equal(
            "$.rules[2]: overlapping rules: rule 'legal-sales' can never change a decision: rule 'legal-hold' ($.rules[0]) comes first and matches every mail this rule matches, and already sets its action",
            error);
    }

    [Fact]
    public void A_rule_that_only_loses_its_owner_to_an_earlier_one_is_a_warning()
    {
        var json = TestPolicy.Edit(p =>
        {
            var rules = p["rules"]!.AsArray();
            rules.Add(JsonNode.Parse("""{ "name": "sales-owner", "when": { "intents": ["sales"] }, "then": { "owner": "sales-team" } }"""));
            rules.Add(JsonNode.Parse("""{ "name": "sales-high", "when": { "intents": ["sales"], "urgencies": ["high"] }, "then": { "owner": "sales-lead", "action": "review" } }"""));
        });

        var result = TestPolicy.TryLoad(json);

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Equal("$.rules[3]: overlapping rules: the owner of rule 'sales-high' never apply: rule 'sales-owner' ($.rules[2]) comes first and matches every mail this rule matches", Assert.Single(result.Warnings).ToString());
    }

    [Fact]
    public void A_narrower_rule_before_a_wider_one_is_not_an_overlap()
    {
        var result = TestPolicy.TryLoad(TestPolicy.Edit(p =>
        {
            var rules = p["rules"]!.AsArray();
            rules.Add(JsonNode.Parse("""{ "name": "sales-high", "when": { "intents": ["sales"], "urgencies": ["high"] }, "then": { "owner": "sales-lead" } }"""));
            rules.Add(JsonNode.Parse("""{ "name": "sales-owner", "when": { "intents": ["sales"] }, "then": { "owner": "sales-team" } }"""));
        }));

        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        Assert.Empty(result.Warnings);
    }

    [Fact]
    public void A_sender_on_both_lists_or_a_domain_of_two_kinds_is_refused()
    {
        var errors = Errors(p =>
        {
            p["senders"] = JsonNode.Parse("""{ "allow": ["@acme.example"], "block": ["@acme.example"] }""");
            p["domains"] = JsonNode.Parse("""{ "customer": ["acme.example"], "competitor": ["acme.example"] }""");
        });

        Assert.Contains("$.senders.block[0]: '@acme.example' is on both the allowlist and the blocklist", errors);
        Assert.Contains("$.domains.competitor[0]: 'acme.example' is already a customer domain: a domain has one kind", errors);
    }

    [Theory]
    [InlineData("ana")]
    [InlineData("ana@")]
    [InlineData("a@b@c")]
    [InlineData("@")]
    public void A_malformed_sender_pattern_is_refused(string pattern)
    {
        Assert.Contains(Errors(p => p["vips"] = new JsonArray(pattern)), e => e.StartsWith("$.vips[0]: ", StringComparison.Ordinal));
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var errors = Errors(p =>
        {
            p["intents"]!["refunds"] = JsonNode.Parse("""{ "mode": "review" }""");
            p["timeZone"] = "Nowhere/Land";
            p["intents"]!["scheduling"]!["template"] = "nope";
        });

        Assert.Equal(3, errors.Length);
    }
}
