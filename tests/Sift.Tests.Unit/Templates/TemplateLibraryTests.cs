namespace Sift.Templates;

public sealed class TemplateLibraryTests
{
    private static TemplateLibrary Library => TestTemplates.Library;

    public static TheoryData<string> TemplateIds => [.. TestTemplates.Library.All.Select(t => t.Id).Order(StringComparer.Ordinal)];

    /// <summary>Every required slot of every shipped template, one row each.</summary>
    public static TheoryData<string, string> RequiredSlots =>
    [
        .. TestTemplates.Library.All.SelectMany(t => t.Slots.Select(s => (t.Id, s))).OrderBy(r => r.Id, StringComparer.Ordinal).ThenBy(r => r.s, StringComparer.Ordinal),
    ];

    private static Dictionary<string, string> AllSlots(ReplyTemplate template) =>
        template.Slots.Concat(template.OptionalSlots).ToDictionary(s => s, s => $"<{s} value>");

    private static Dictionary<string, string> RequiredOnly(ReplyTemplate template) =>
        template.Slots.ToDictionary(s => s, s => $"<{s} value>");

    [Fact]
    public void The_shipped_folder_holds_a_template_for_every_intent_that_can_be_answered()
    {
        Assert.Equal(
            ["generic-ack-v1", "partner-v1", "pricing-v1", "sales-v1", "scheduling-v1", "support-ack-v1"],
            Library.All.Select(t => t.Id).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["other", "partner", "pricing", "sales", "scheduling", "support"],
            Library.All.Select(t => t.Intent).Order(StringComparer.Ordinal));
        Assert.All(Library.All, t => Assert.Equal("en", t.Language));
    }

    [Fact]
    public void Only_scheduling_and_pricing_may_be_sent_without_review()
    {
        Assert.Equal(["pricing-v1", "scheduling-v1"], Library.All.Where(t => t.AutoSendAllowed).Select(t => t.Id).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_acknowledgements_carry_their_reply_time_and_nothing_else()
    {
        Assert.Equal(["eta"], Library.Find("support-ack-v1")!.Carries);
        Assert.Empty(Library.Find("pricing-v1")!.Carries);
        Assert.Empty(Library.Find("scheduling-v1")!.Carries);
    }

    [Theory]
    [MemberData(nameof(TemplateIds))]
    public void A_template_rendered_with_all_its_slots_prints_every_value_and_no_placeholder(string id)
    {
        var template = Library.Find(id)!;
        var slots = AllSlots(template);

        var text = TemplateLibrary.Render(template, slots);

        Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("}}", text, StringComparison.Ordinal);
        Assert.All(slots.Values, value => Assert.Contains(value, text, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TemplateIds))]
    public void A_template_rendered_without_its_optional_slots_leaves_their_lines_out(string id)
    {
        var template = Library.Find(id)!;

        var text = TemplateLibrary.Render(template, RequiredOnly(template));

        Assert.All(template.Slots, s => Assert.Contains($"<{s} value>", text, StringComparison.Ordinal));
        Assert.All(template.OptionalSlots, s => Assert.DoesNotContain(s, text, StringComparison.Ordinal));
        Assert.DoesNotContain("\n\n\n", text, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RequiredSlots))]
    public void A_template_rendered_without_a_required_slot_throws_naming_that_slot(string id, string slot)
    {
        var template = Library.Find(id)!;
        var slots = AllSlots(template);
        slots.Remove(slot);

        var error = Assert.Throws<MissingSlotException>(() => TemplateLibrary.Render(template, slots));

        Assert.Equal([slot], error.Missing);
        Assert.Contains(slot, error.Message, StringComparison.Ordinal);
        Assert.Contains(id, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Handlebars_itself_refuses_a_binding_without_a_value_behind_the_declared_check()
    {
        var undeclared = Library.Find("generic-ack-v1")! with { Slots = ["first_name"] };

        var error = Assert.Throws<MissingSlotException>(() => TemplateLibrary.Render(undeclared, new Dictionary<string, string> { ["first_name"] = "Ana" }));

        Assert.Equal(["subject"], error.Missing);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_blank_slot_counts_as_missing(string blank)
    {
        var template = Library.Find("pricing-v1")!;
        var slots = AllSlots(template);
        slots["pricing_url"] = blank;

        var error = Assert.Throws<MissingSlotException>(() => TemplateLibrary.Render(template, slots));

        Assert.Equal(["pricing_url"], error.Missing);
    }

    [Fact]
    public void Every_missing_slot_is_named_at_once()
    {
        var template = Library.Find("scheduling-v1")!;
        var slots = AllSlots(template);
        slots.Remove("slot_1");
        slots.Remove("slot_2");

        var error = Assert.Throws<MissingSlotException>(() => TemplateLibrary.Render(template, slots));

        Assert.Equal(["slot_1", "slot_2"], error.Missing.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_calendar_link_is_offered_only_when_one_is_configured()
    {
        var template = Library.Find("scheduling-v1")!;
        var with = AllSlots(template);
        with["calendar_link"] = "https://cal.contoso.example/sales";

        Assert.Contains("pick any time here: https://cal.contoso.example/sales", TemplateLibrary.Render(template, with), StringComparison.Ordinal);
        Assert.DoesNotContain("pick any time", TemplateLibrary.Render(template, RequiredOnly(template)), StringComparison.Ordinal);
    }

    [Fact]
    public void The_approved_price_sheet_paragraph_is_printed_as_configured_and_never_escaped()
    {
        var template = Library.Find("pricing-v1")!;
        var slots = AllSlots(template);
        slots["price_sheet"] = "Team: $49 per user & month. Enterprise: \"contact us\".";

        var text = TemplateLibrary.Render(template, slots);

        Assert.Contains("Team: $49 per user & month. Enterprise: \"contact us\".", text, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slot_value_that_looks_like_handlebars_is_printed_not_evaluated()
    {
        var template = Library.Find("generic-ack-v1")!;
        var slots = AllSlots(template);
        slots["subject"] = "{{company}}";

        var text = TemplateLibrary.Render(template, slots);

        Assert.Contains("\"{{company}}\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public void An_intent_without_a_template_gets_the_generic_acknowledgement()
    {
        Assert.Equal("generic-ack-v1", Library.ForIntent("complaint").Id);
    }

    [Fact]
    public void An_unknown_template_id_is_not_found()
    {
        Assert.Null(Library.Find("no-such-template"));
    }

    [Fact]
    public void A_language_variant_is_chosen_for_a_message_in_that_language_and_english_otherwise()
    {
        var library = TemplateLibrary.FromFiles(
        [
            ("ack.en.hbs", Valid()),
            ("ack.de.hbs", Valid(language: "de", body: "Hallo {{first_name}}, danke.")),
        ]);

        Assert.Equal("de", library.Find("ack-v1", "de")!.Language);
        Assert.Equal("en", library.Find("ack-v1", "fr")!.Language);
        Assert.Equal("de", library.ForIntent("other", "de").Language);
    }

    [Fact]
    public void The_shipped_folder_loads_from_a_copy_of_its_files()
    {
        var folder = Directory.CreateTempSubdirectory("sift-templates-").FullName;
        try
        {
            foreach (var file in Directory.GetFiles(TestTemplates.Folder, "*.hbs"))
            {
                File.Copy(file, Path.Combine(folder, Path.GetFileName(file)));
            }

            Assert.Equal(Library.All.Count, TemplateLibrary.Load(folder).All.Count);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_missing_folder_is_named()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => TemplateLibrary.Load("/no/such/templates"));

        Assert.Contains("/no/such/templates", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_folder_without_the_fallback_acknowledgement_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => TemplateLibrary.FromFiles([("sales.en.hbs", Valid(intent: "sales"))]));

        Assert.Contains("'other'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Two_files_with_the_same_id_and_language_are_refused()
    {
        var error = Assert.Throws<TemplateFormatException>(() => TemplateLibrary.FromFiles([("a.en.hbs", Valid()), ("b.en.hbs", Valid())]));

        Assert.Equal("b.en.hbs", error.File);
        Assert.Equal("id", error.Field);
        Assert.Contains("a.en.hbs", error.Message, StringComparison.Ordinal);
    }

    public static TheoryData<string, string?, string> BrokenFiles => new()
    {
        { "Hi {{first_name}}", null, "front-matter" },
        { Valid().Replace("id: ack-v1\n", "", StringComparison.Ordinal), "id", "missing" },
        { Valid().Replace("id: ack-v1", "id: Ack V1", StringComparison.Ordinal), "id", "lower-case" },
        { Valid().Replace("intent: other\n", "", StringComparison.Ordinal), "intent", "missing" },
        { Valid().Replace("language: en", "language: english", StringComparison.Ordinal), "language", "ISO 639-1" },
        { Valid().Replace("language: en", "language: de", StringComparison.Ordinal), "language", "file name" },
        { Valid().Replace("auto_send: false", "auto_send: maybe", StringComparison.Ordinal), "auto_send", "true or false" },
        { Valid().Replace("auto_send: false\n", "", StringComparison.Ordinal), "auto_send", "missing" },
        { Valid().Replace("slots: [first_name]\n", "", StringComparison.Ordinal), "slots", "missing" },
        { Valid().Replace("carries: []", "carries: [free_beer]", StringComparison.Ordinal), "carries", "free_beer" },
        { Valid().Replace("carries: []", "carries: []\nowner: sales", StringComparison.Ordinal), "owner", "unknown field" },
        { Valid().Replace("carries: []", "carries: []\ncarries: [eta]", StringComparison.Ordinal), "carries", "twice" },
        { Valid(body: "Hi {{first_name}}, see {{docs_url}}."), "slots", "docs_url" },
        { Valid(slots: "[first_name, eta]"), "slots", "never uses it" },
        { Valid(optional: "[calendar_link]", body: "Hi {{first_name}}, {{calendar_link}}"), "optional", "{{#if calendar_link}}" },
        { Valid(optional: "[calendar_link]", body: "Hi {{first_name}}{{#if calendar_link}}{{else}} {{calendar_link}}{{/if}}"), "optional", "{{#if calendar_link}}" },
        { Valid(slots: "[first_name, calendar_link]", optional: "[calendar_link]"), "optional", "also listed" },
        { Valid(body: "Hi {{first_name}}{{#if first_name}}"), null, "never closed" },
        { Valid(body: "Hi {{{first_name}}}"), null, "not allowed" },
        { Valid(body: "Hi {{uppercase first_name}}"), null, "not allowed" },
        { Valid(body: ""), null, "empty" },
    };

    [Theory]
    [MemberData(nameof(BrokenFiles))]
    public void A_broken_file_is_refused_naming_the_file_and_the_field(string content, string? field, string problem)
    {
        var error = Assert.Throws<TemplateFormatException>(() => TemplateLibrary.FromFiles([("ack.en.hbs", content)]));

        Assert.Equal("ack.en.hbs", error.File);
        Assert.Equal(field, error.Field);
        Assert.Contains("ack.en.hbs", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    private static string Valid(string intent = "other", string language = "en", string slots = "[first_name]", string? optional = null, string body = "Hi {{first_name}}, thanks.") =>
        $"""
        ---
        id: ack-v1
        intent: {intent}
        language: {language}
        slots: {slots}
        {(optional is null ? "" : $"optional: {optional}")}
        auto_send: false
        carries: []
        ---
        {body}
        """.ReplaceLineEndings("\n");
}
