using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using Sift.Drafting.Lint;
using Sift.Knowledge;
using Sift.Mail;
using Sift.Policy;
using Sift.Templates;

namespace Sift.Drafting;

/// <summary>A reply draft: the rendered text, the template it came from, and what the lint found.</summary>
public sealed record Draft(Guid Id, string TemplateId, string Text, bool AutoSendAllowed, ImmutableArray<string> LintFindings)
{
    /// <summary>Who wrote the text: <see cref="DraftSources.Template"/>, or the hosted model (grounded draft, paraphrase).</summary>
    public string Source { get; init; } = DraftSources.Template;

    /// <summary>The knowledge-base sections the text was grounded in (a grounded draft only).</summary>
    public ImmutableArray<KbReference> Knowledge { get; init; } = [];
}

/// <summary>Where a draft's text came from, as the drafts table and the API show it.</summary>
public static class DraftSources
{
    public const string Template = "template";
    public const string Grounded = "model-grounded";
    public const string Paraphrase = "model-paraphrase";
}

/// <summary>A suggested outline for a human owner: what to answer, what the knowledge base says about it, and who owns it.</summary>
public sealed record Outline(string Owner, ImmutableArray<string> KeyPoints)
{
    public ImmutableArray<KbReference> Knowledge { get; init; } = [];
}

/// <summary>The template a draft is filled from and the slot values it is filled with.</summary>
public sealed record DraftInputs(ReplyTemplate Template, IReadOnlyDictionary<string, string> Slots);

/// <summary>Fills templates from the message, the classification and the policy's slot values, then lints the result.</summary>
public sealed class Drafter(TemplateLibrary templates, ImmutableArray<string> approved)
{
    public TemplateLibrary Templates => templates;

    public Draft Draft(Guid draftId, InboundMessage message, RouteDecision route, string intent, PolicyDocument policy)
    {
        var language = message.Language;
        var (template, slots) = Inputs(message, route, intent, policy);
        try
        {
            var text = TemplateLibrary.Render(template, slots);
            return new Draft(draftId, template.Id, text, template.AutoSendAllowed, Lint(text, Context(template, slots, message, policy)).Lines);
        }
        catch (MissingSlotException missing)
        {
            // A template the policy cannot fill is never sent: fall back to the acknowledgement, which needs only what every
            // message has, and say why, so that the draft goes to review instead of out.
            var fallback = templates.ForIntent(TemplateLibrary.FallbackIntent, language);
            var text = TemplateLibrary.Render(fallback, slots);
            return new Draft(draftId, fallback.Id, text, AutoSendAllowed: false,
                [$"{SendLint.MissingSlotRule}: {missing.Message}", .. Lint(text, Context(fallback, slots, message, policy)).Lines]);
        }
    }

    /// <summary>The template for the route (or the intent) and every slot value: what <see cref="Draft"/> fills, and what a model-written text is linted against.</summary>
    public DraftInputs Inputs(InboundMessage message, RouteDecision route, string intent, PolicyDocument policy)
    {
        var language = message.Language;
        var template = (route.TemplateId is { } id ? templates.Find(id, language) : null) ?? templates.ForIntent(intent, language);
        var slots = new Dictionary<string, string>(policy.Slots, StringComparer.Ordinal)
        {
            ["first_name"] = FirstName(message.From),
            ["subject"] = string.IsNullOrWhiteSpace(message.Subject) ? "your message" : message.Subject.Trim(),
            ["company"] = policy.Company,
            ["eta"] = FormatEta(route.SlaDeadline - message.ReceivedAt),
            ["slot_1"] = ProposedSlot(message.ReceivedAt, 1, 10),
            ["slot_2"] = ProposedSlot(message.ReceivedAt, 2, 14),
        };
        return new DraftInputs(template, slots);
    }

    /// <summary>The lint's view of a draft: its template, its slot values, what is approved (configuration) and the mail it answers.</summary>
    public LintContext Context(ReplyTemplate template, IReadOnlyDictionary<string, string> slots, InboundMessage message, PolicyDocument policy, IEnumerable<string>? sources = null) => new()
    {
        Template = template,
        Slots = slots,
        Approved = new ApprovedSources([.. approved, .. policy.Slots.Values.Where(v => !string.IsNullOrWhiteSpace(v)), .. sources ?? []]),
        Message = message,
        QuotedSlots = SenderSlots,
    };

    /// <summary>The slots filled with the sender's own words.</summary>
    private static readonly FrozenSet<string> SenderSlots = FrozenSet.ToFrozenSet(["subject", "first_name"], StringComparer.Ordinal);

    /// <summary>The send-safety lint (see <see cref="SendLint"/>), run on every outgoing text.</summary>
    public static LintResult Lint(string text, LintContext context) => SendLint.Lint(text, context);

    /// <summary>
    /// The owner's outline, with no model: the questions and requests of the new text of the mail, the dates, amounts and
    /// reference numbers it mentions, and the knowledge-base sections found for it.
    /// </summary>
    public static Outline Outline(InboundMessage message, string owner, ImmutableArray<KbHit> knowledge) =>
        new(owner, KeyPoints.Find(message.Subject, message.Latest)) { Knowledge = [.. knowledge.Select(KbReference.From)] };

    private static string FirstName(EmailAddress from) =>
        from.Name?.Split(' ', StringSplitOptions.RemoveEmptyEntries).FirstOrDefault() is { Length: > 0 } first ? first : "there";

    private static string FormatEta(TimeSpan span) => span.TotalHours >= 24
        ? string.Create(CultureInfo.InvariantCulture, $"{Math.Round(span.TotalDays)} business day(s)")
        : string.Create(CultureInfo.InvariantCulture, $"{Math.Max(1, Math.Round(span.TotalHours))} hour(s)");

    /// <summary>A proposed meeting time: the n-th weekday after the message arrived, at the given hour (UTC).</summary>
    private static string ProposedSlot(DateTimeOffset received, int businessDays, int hour)
    {
        var day = received.UtcDateTime.Date;
        for (var added = 0; added < businessDays;)
        {
            day = day.AddDays(1);
            if (day.DayOfWeek is not (DayOfWeek.Saturday or DayOfWeek.Sunday))
            {
                added++;
            }
        }

        return day.AddHours(hour).ToString("dddd d MMMM, HH:mm 'UTC'", CultureInfo.InvariantCulture);
    }
}
