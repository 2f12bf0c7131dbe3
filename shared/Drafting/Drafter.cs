using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Sift.Drafting.Lint;
using Sift.Mail;
using Sift.Policy;
using Sift.Templates;

namespace Sift.Drafting;

/// <summary>A reply draft: the rendered text, the template it came from, and what the lint found.</summary>
public sealed record Draft(Guid Id, string TemplateId, string Text, bool AutoSendAllowed, ImmutableArray<string> LintFindings);

/// <summary>A suggested outline for a human owner.</summary>
public sealed record Outline(string Owner, ImmutableArray<string> KeyPoints);

/// <summary>Fills templates from the message, the classification and the policy's slot values, then lints the result.</summary>
public sealed partial class Drafter(TemplateLibrary templates, ImmutableArray<string> approved)
{
    public TemplateLibrary Templates => templates;

    public Draft Draft(Guid draftId, InboundMessage message, RouteDecision route, string intent, PolicyDocument policy)
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

    /// <summary>The lint's view of a draft: its template, its slot values, what is approved (configuration) and the mail it answers.</summary>
    public LintContext Context(ReplyTemplate template, IReadOnlyDictionary<string, string> slots, InboundMessage message, PolicyDocument policy) => new()
    {
        Template = template,
        Slots = slots,
        Approved = new ApprovedSources([.. approved, .. policy.Slots.Values.Where(v => !string.IsNullOrWhiteSpace(v))]),
        Message = message,
        QuotedSlots = SenderSlots,
    };

    /// <summary>The slots filled with the sender's own words.</summary>
    private static readonly FrozenSet<string> SenderSlots = FrozenSet.ToFrozenSet(["subject", "first_name"], StringComparer.Ordinal);

    /// <summary>The send-safety lint (see <see cref="SendLint"/>), run on every outgoing text.</summary>
    public static LintResult Lint(string text, LintContext context) => SendLint.Lint(text, context);

    public static Outline Outline(InboundMessage message, string owner)
    {
        var sentences = Sentence().Matches(message.Latest).Select(m => m.Value.Trim()).Where(s => s.Length > 12).Take(3);
        return new Outline(owner, [$"Subject: {message.Subject}", .. sentences.Select(s => "They wrote: " + s)]);
    }

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

    [GeneratedRegex(@"[^.!?\n]+[.!?]")]
    private static partial Regex Sentence();
}
