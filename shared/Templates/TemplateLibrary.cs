using System.Collections.Frozen;
using System.Text;
using System.Text.RegularExpressions;

namespace Sift.Templates;

/// <summary>A reply template: its text with <c>{{slot}}</c> placeholders, and whether it may be sent without review.</summary>
public sealed record ReplyTemplate(string Id, string Intent, string Text, bool AutoSendAllowed)
{
    public IReadOnlyList<string> Slots { get; } = TemplateLibrary.SlotsOf(Text);
}

/// <summary>Thrown when a template is rendered without one of its slots: a reply never goes out with a hole in it.</summary>
public sealed class MissingSlotException(string templateId, IReadOnlyList<string> missing)
    : Exception($"Template '{templateId}' is missing slot(s): {string.Join(", ", missing)}.")
{
    public IReadOnlyList<string> Missing { get; } = missing;
}

/// <summary>The built-in templates and strict rendering: every slot must have a value.</summary>
public static partial class TemplateLibrary
{
    private static readonly FrozenDictionary<string, ReplyTemplate> Templates = new ReplyTemplate[]
    {
        new("scheduling-v1", "scheduling", """
            Hi {{first_name}},

            Thanks for your note about "{{subject}}". Two times that work for us:
            - {{slot_1}}
            - {{slot_2}}

            If neither suits you, pick any time here: {{calendar_link}}

            Best regards,
            The {{company}} team
            """, AutoSendAllowed: true),
        new("pricing-v1", "pricing", """
            Hi {{first_name}},

            Thanks for asking about our pricing. Our plans and their current prices are listed at {{pricing_url}}, including annual billing options.

            Reply to this message if you would like someone from our team to walk you through them.

            Best regards,
            The {{company}} team
            """, AutoSendAllowed: true),
        new("support-ack-v1", "support", """
            Hi {{first_name}},

            Thanks for contacting {{company}} support about "{{subject}}". We have logged your request and will get back to you within {{eta}}.

            In the meantime, our documentation is at {{docs_url}}.

            Best regards,
            The {{company}} support team
            """, AutoSendAllowed: false),
        new("sales-v1", "sales", """
            Hi {{first_name}},

            Thanks for your interest in {{company}}. Someone from our sales team will contact you within {{eta}} to help with your purchase.

            Best regards,
            The {{company}} team
            """, AutoSendAllowed: false),
        new("partner-v1", "partner", """
            Hi {{first_name}},

            Thanks for your interest in partnering with {{company}}. I have passed your message to our partnerships team ({{partnerships_alias}}), who will be in touch within {{eta}}.

            Best regards,
            The {{company}} team
            """, AutoSendAllowed: false),
        new("generic-ack-v1", "other", """
            Hi {{first_name}},

            Thanks for your message about "{{subject}}". A member of our team will reply within {{eta}}.

            Best regards,
            The {{company}} team
            """, AutoSendAllowed: false),
    }.ToFrozenDictionary(t => t.Id);

    public static IEnumerable<ReplyTemplate> All => Templates.Values;

    public static ReplyTemplate? Find(string id) => Templates.GetValueOrDefault(id);

    public static ReplyTemplate ForIntent(string intent) =>
        Templates.Values.FirstOrDefault(t => t.Intent == intent) ?? Templates["generic-ack-v1"];

    public static string Render(ReplyTemplate template, IReadOnlyDictionary<string, string> slots)
    {
        var missing = template.Slots.Where(s => !slots.TryGetValue(s, out var v) || string.IsNullOrWhiteSpace(v)).ToList();
        if (missing.Count > 0)
        {
            throw new MissingSlotException(template.Id, missing);
        }

        var sb = new StringBuilder(template.Text.Length + 128);
        var last = 0;
        foreach (Match match in Slot().Matches(template.Text))
        {
            sb.Append(template.Text, last, match.Index - last).Append(slots[match.Groups[1].Value]);
            last = match.Index + match.Length;
        }

        return sb.Append(template.Text, last, template.Text.Length - last).ToString();
    }

    internal static IReadOnlyList<string> SlotsOf(string text) =>
        Slot().Matches(text).Select(m => m.Groups[1].Value).Distinct().ToList();

    [GeneratedRegex(@"\{\{\s*([a-z0-9_]+)\s*\}\}")]
    private static partial Regex Slot();
}
