using Sift.Knowledge;

namespace Sift.Drafting;

public sealed class OutlineTests
{
    [Fact]
    public void Questions_and_requests_of_the_new_text_become_key_points_and_wrapped_lines_stay_one_sentence()
    {
        var message = TestMail.Message(
            subject: "Export fails",
            text: "Hi,\n\nThe export to CSV fails since Monday. We tried two browsers already.\nCan you look into\nit? Please send me the\nlogs of the failed export.\n\nThanks,\nAna");

        var outline = Drafter.Outline(message, "support-team", []);

        Assert.Equal("support-team", outline.Owner);
        Assert.Equal(["Question: Can you look into it?", "Request: Please send me the logs of the failed export."], outline.KeyPoints);
    }

    [Fact]
    public void Dates_amounts_and_reference_numbers_are_listed_for_the_owner()
    {
        var message = TestMail.Message(
            subject: "Double charge",
            text: "We were charged $49.00 twice on 2026-11-02 for invoice INV-20431. Our order #88231 shows 20% off that never applied.");

        var outline = Drafter.Outline(message, "billing", []);

        var mentioned = Assert.Single(outline.KeyPoints, p => p.StartsWith("Mentioned: ", StringComparison.Ordinal));
        Assert.Contains("$49.00", mentioned, StringComparison.Ordinal);
        Assert.Contains("2026-11-02", mentioned, StringComparison.Ordinal);
        Assert.Contains("INV-20431", mentioned, StringComparison.Ordinal);
        Assert.Contains("#88231", mentioned, StringComparison.Ordinal);
        Assert.Contains("20%", mentioned, StringComparison.Ordinal);
    }

    [Fact]
    public void Words_after_order_or_invoice_are_not_taken_for_reference_numbers()
    {
        var message = TestMail.Message(subject: "Seats", text: "Could we order more seats for the invoice team before renewal?");

        var outline = Drafter.Outline(message, "sales-team", []);

        Assert.Equal(["Question: Could we order more seats for the invoice team before renewal?"], outline.KeyPoints);
    }

    [Fact]
    public void A_mail_with_no_question_or_request_falls_back_to_its_subject()
    {
        var message = TestMail.Message(subject: "Outage yesterday", text: "This is the third outage this month, and it is frankly unacceptable.");

        var outline = Drafter.Outline(message, "support-lead", []);

        Assert.Equal(["Subject: Outage yesterday"], outline.KeyPoints);
    }

    [Fact]
    public void Quoted_history_is_not_a_key_point()
    {
        var message = TestMail.Message(text: "Can you reset my password today?\n\n> Can you confirm the old invoice address?");

        var outline = Drafter.Outline(message with { NewText = "Can you reset my password today?" }, "support-team", []);

        Assert.Equal(["Question: Can you reset my password today?"], outline.KeyPoints);
    }

    [Fact]
    public void The_knowledge_base_entries_are_referenced_with_title_section_path_and_link()
    {
        var hit = new KbHit("Billing and invoices", "Download an invoice", "billing-invoices.md", "https://docs.contoso.example/billing/invoices", "Owners find...", "Owners find every invoice.", 6.5);

        var outline = Drafter.Outline(TestMail.Message(), "billing", [hit]);

        var reference = Assert.Single(outline.Knowledge);
        Assert.Equal(new KbReference("Billing and invoices", "Download an invoice", "billing-invoices.md", "https://docs.contoso.example/billing/invoices", 6.5), reference);
    }
}
