namespace Sift.Templates;

public sealed class TemplateLibraryTests
{
    public static TheoryData<string> TemplateIds => [.. TemplateLibrary.All.Select(t => t.Id).Order(StringComparer.Ordinal)];

    private static Dictionary<string, string> AllSlots(ReplyTemplate template) =>
        template.Slots.ToDictionary(s => s, s => $"<{s} value>");

    [Fact]
    public void The_library_holds_a_template_for_every_intent_that_can_be_answered()
    {
        Assert.Equal(
            ["other", "partner", "pricing", "sales", "scheduling", "support"],
            TemplateLibrary.All.Select(t => t.Intent).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TemplateIds))]
    public void A_template_rendered_with_all_its_slots_leaves_no_placeholder(string id)
    {
        var template = TemplateLibrary.Find(id)!;
        var slots = AllSlots(template);

        var text = TemplateLibrary.Render(template, slots);

        Assert.DoesNotContain("{{", text, StringComparison.Ordinal);
        Assert.DoesNotContain("}}", text, StringComparison.Ordinal);
        Assert.All(slots.Values, value => Assert.Contains(value, text, StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(TemplateIds))]
    public void A_template_rendered_without_a_slot_throws_naming_that_slot(string id)
    {
        var template = TemplateLibrary.Find(id)!;
        var slots = AllSlots(template);
        var dropped = template.Slots[^1];
        slots.Remove(dropped);

        var error = Assert.Throws<MissingSlotException>(() => TemplateLibrary.Render(template, slots));

        Assert.Equal([dropped], error.Missing);
        Assert.Contains(dropped, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("   ")]
    public void A_blank_slot_counts_as_missing(string blank)
    {
        var template = TemplateLibrary.Find("pricing-v1")!;
        var slots = AllSlots(template);
        slots["pricing_url"] = blank;

        var error = Assert.Throws<MissingSlotException>(() => TemplateLibrary.Render(template, slots));

        Assert.Equal(["pricing_url"], error.Missing);
    }

    [Fact]
    public void Every_missing_slot_is_named_at_once()
    {
        var template = TemplateLibrary.Find("scheduling-v1")!;
        var slots = AllSlots(template);
        slots.Remove("calendar_link");
        slots.Remove("slot_2");

        var error = Assert.Throws<MissingSlotException>(() => TemplateLibrary.Render(template, slots));

        Assert.Equal(["calendar_link", "slot_2"], error.Missing.Order(StringComparer.Ordinal));
        Assert.Contains("calendar_link", error.Message, StringComparison.Ordinal);
        Assert.Contains("slot_2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_slot_used_twice_is_listed_once_and_filled_everywhere()
    {
        var template = TemplateLibrary.Find("support-ack-v1")!;

        var text = TemplateLibrary.Render(template, AllSlots(template));

        Assert.Single(template.Slots, s => s == "company");
        Assert.Equal(2, text.Split("<company value>").Length - 1);
    }

    [Fact]
    public void An_intent_without_a_template_gets_the_generic_acknowledgement()
    {
        Assert.Equal("generic-ack-v1", TemplateLibrary.ForIntent("complaint").Id);
    }

    [Fact]
    public void An_unknown_template_id_is_not_found()
    {
        Assert.Null(TemplateLibrary.Find("no-such-template"));
    }
}
