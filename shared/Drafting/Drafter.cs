using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Sift.Mail;
using Sift.Policy;
using Sift.Templates;

namespace Sift.Drafting;

/// <summary>A reply draft: the rendered text, the template it came from, and what the lint found.</summary>
public sealed record Draft(Guid Id, string TemplateId, string Text, bool AutoSendAllowed, ImmutableArray<string> LintFindings);

/// <summary>A suggested outline for a human owner.</summary>
public sealed record Outline(string Owner, ImmutableArray<string> KeyPoints);

/// <summary>Fills templates from the message, the classification and the policy's slot values, then lints the result.</summary>
public static partial class Drafter
{
    public static Draft Draft(Guid draftId, InboundMessage message, RouteDecision route, string intent, PolicyOptions policy)
    {
        var template = (route.TemplateId is { } id ? TemplateLibrary.Find(id) : null) ?? TemplateLibrary.ForIntent(intent);
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
            return new Draft(draftId, template.Id, text, template.AutoSendAllowed, Lint(text));
        }
        catch (MissingSlotException missing)
        {
            // A template the policy cannot fill is never sent: fall back to the acknowledgement, which needs only what every
            // message has, and say why, so that the draft goes to review instead of out.
            var fallback = TemplateLibrary.ForIntent("other");
            var text = TemplateLibrary.Render(fallback, slots);
            return new Draft(draftId, fallback.Id, text, AutoSendAllowed: false, [missing.Message, .. Lint(text)]);
        }
    }

    public static Outline Outline(InboundMessage message, string owner)
    {
        var sentences = Sentence().Matches(message.Latest).Select(m => m.Value.Trim()).Where(s => s.Length > 12).Take(3);
        return new Outline(owner, [$"Subject: {message.Subject}", .. sentences.Select(s => "They wrote: " + s)]);
    }

    /// <summary>The foundation's lint: no placeholder may survive rendering.</summary>
    public static ImmutableArray<string> Lint(string text) =>
        Placeholder().IsMatch(text) ? ["unresolved placeholder in the draft"] : [];

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

    [GeneratedRegex(@"\{\{[^}]*\}\}|\[[A-Z_]+_\d+\]")]
    private static partial Regex Placeholder();

    [GeneratedRegex(@"[^.!?\n]+[.!?]")]
    private static partial Regex Sentence();
}
