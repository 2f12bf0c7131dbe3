using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.RegularExpressions;
using HandlebarsDotNet;
using HandlebarsDotNet.Compiler;
using Sift.Drafting.Lint;

namespace Sift.Templates;

/// <summary>
/// The reply templates of a folder (<c>*.hbs</c>: a front-matter block, then a Handlebars body), validated and compiled
/// when loaded, and rendered strictly: a required slot without a value throws <see cref="MissingSlotException"/>, never
/// renders as an empty string. Plain-text mail: nothing is HTML-escaped.
/// </summary>
public sealed partial class TemplateLibrary
{
    /// <summary>The intent of the acknowledgement every message can get: the fallback when no template fits.</summary>
    public const string FallbackIntent = "other";

    private static readonly FrozenSet<string> Fields = FrozenSet.ToFrozenSet(["id", "intent", "language", "slots", "optional", "auto_send", "carries"], StringComparer.Ordinal);

    private readonly ImmutableArray<ReplyTemplate> templates;

    private TemplateLibrary(ImmutableArray<ReplyTemplate> templates) => this.templates = templates;

    public IReadOnlyList<ReplyTemplate> All => templates;

    /// <summary>Reads, validates and compiles every <c>*.hbs</c> file of the folder; the first problem stops the load, naming the file and field.</summary>
    public static TemplateLibrary Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The templates folder '{folder}' does not exist (setting {TemplateOptions.Section}:Folder).");
        }

        var files = Directory.GetFiles(folder, "*.hbs").Order(StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new InvalidOperationException($"The templates folder '{folder}' holds no *.hbs file.");
        }

        return FromFiles(files.Select(f => (Path.GetFileName(f), File.ReadAllText(f))));
    }

    /// <summary>A library from (file name, content) pairs: what <see cref="Load"/> does once the files are read.</summary>
    public static TemplateLibrary FromFiles(IEnumerable<(string File, string Content)> files)
    {
        var handlebars = Handlebars.Create(new HandlebarsConfiguration { ThrowOnUnresolvedBindingExpression = true, NoEscape = true });
        var parsed = new List<ReplyTemplate>();
        foreach (var (file, content) in files)
        {
            var template = Parse(file, content);
            if (parsed.FirstOrDefault(t => t.Id == template.Id && t.Language == template.Language) is { } twin)
            {
                throw new TemplateFormatException(file, "id", $"'{template.Id}' in language '{template.Language}' is already defined by '{twin.Source}'.");
            }

            try
            {
                parsed.Add(template with { Compiled = handlebars.Compile(template.Body) });
            }
            catch (HandlebarsException ex)
            {
                throw new TemplateFormatException(file, null, $"the body does not compile: {ex.Message}");
            }
        }

        if (!parsed.Any(t => t.Intent == FallbackIntent))
        {
            throw new InvalidOperationException($"No template for intent '{FallbackIntent}': the acknowledgement used when no other template can be filled.");
        }

        return new TemplateLibrary([.. parsed]);
    }

    /// <summary>The template with this id, in the language asked for when there is such a variant, else in English, else the first.</summary>
    public ReplyTemplate? Find(string id, string? language = null) => Pick(templates.Where(t => t.Id == id), language);

    /// <summary>The template for an intent (in the language when possible); the acknowledgement when the intent has none.</summary>
    public ReplyTemplate ForIntent(string intent, string? language = null) =>
        Pick(templates.Where(t => t.Intent == intent), language) ?? Pick(templates.Where(t => t.Intent == FallbackIntent), language)!;

    private static ReplyTemplate? Pick(IEnumerable<ReplyTemplate> candidates, string? language)
    {
        var list = candidates.ToList();
        return list.FirstOrDefault(t => t.Language == language) ?? list.FirstOrDefault(t => t.Language == "en") ?? list.FirstOrDefault();
    }

    /// <summary>Renders strictly: every required slot needs a non-blank value (all missing ones are named at once); optional slots may be absent.</summary>
    public static string Render(ReplyTemplate template, IReadOnlyDictionary<string, string> slots)
    {
        var missing = template.Slots.Where(s => !slots.TryGetValue(s, out var v) || string.IsNullOrWhiteSpace(v)).ToList();
        if (missing.Count > 0)
        {
            throw new MissingSlotException(template.Id, missing);
        }

        var context = new Dictionary<string, object>(StringComparer.Ordinal);
        foreach (var slot in template.Slots)
        {
            context[slot] = slots[slot];
        }

        foreach (var slot in template.OptionalSlots)
        {
            // An absent optional slot is false for its {{#if}}; validation keeps it from being printed anywhere else.
            context[slot] = slots.TryGetValue(slot, out var v) && !string.IsNullOrWhiteSpace(v) ? v : string.Empty;
        }

        var compiled = template.Compiled ?? throw new InvalidOperationException($"Template '{template.Id}' was not compiled: load it through {nameof(TemplateLibrary)}.");
        try
        {
            return compiled(context, null!);
        }
        catch (HandlebarsUndefinedBindingException ex)
        {
            throw new MissingSlotException(template.Id, [ex.MissingKey]);
        }
    }

    /// <summary>Reads one file: its front matter (checked field by field) and its body (checked against the declared slots).</summary>
    public static ReplyTemplate Parse(string file, string content)
    {
        content = content.ReplaceLineEndings("\n");
        var match = FrontMatter().Match(content);
        if (!match.Success)
        {
            throw new TemplateFormatException(file, null, "it must start with a front-matter block between two '---' lines.");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in match.Groups["meta"].Value.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new TemplateFormatException(file, null, $"the front-matter line '{line.Trim()}' is not 'field: value'.");
            }

            var name = line[..colon].Trim();
            if (!Fields.Contains(name))
            {
                throw new TemplateFormatException(file, name, $"unknown field; the fields are {string.Join(", ", Fields.Order(StringComparer.Ordinal))}.");
            }

            if (!fields.TryAdd(name, line[(colon + 1)..].Trim()))
            {
                throw new TemplateFormatException(file, name, "given twice.");
            }
        }

        var id = Required(file, fields, "id");
        if (!Id().IsMatch(id))
        {
            throw new TemplateFormatException(file, "id", $"'{id}' must be lower-case letters, digits and dashes.");
        }

        var intent = Required(file, fields, "intent");
        var language = Required(file, fields, "language");
        if (!LanguageCode().IsMatch(language))
        {
            throw new TemplateFormatException(file, "language", $"'{language}' is not a two-letter ISO 639-1 code.");
        }

        if (FileLanguage().Match(file) is { Success: true } named && named.Groups[1].Value != language)
        {
            throw new TemplateFormatException(file, "language", $"'{language}' differs from the language in the file name ('{named.Groups[1].Value}').");
        }

        var autoSend = Required(file, fields, "auto_send") switch
        {
            "true" => true,
            "false" => false,
            var other => throw new TemplateFormatException(file, "auto_send", $"'{other}' must be true or false."),
        };
        var slots = List(file, fields, "slots", required: true);
        var optional = List(file, fields, "optional", required: false);
        var carries = List(file, fields, "carries", required: false);
        foreach (var kind in carries.Where(k => !Commitments.Kinds.Contains(k)))
        {
            throw new TemplateFormatException(file, "carries", $"'{kind}' is not a commitment the lint knows; use {string.Join(", ", Commitments.Kinds)}.");
        }

        foreach (var both in slots.Intersect(optional))
        {
            throw new TemplateFormatException(file, "optional", $"'{both}' is also listed in slots.");
        }

        var body = content[match.Length..].Trim('\n').TrimEnd();
        if (body.Length == 0)
        {
            throw new TemplateFormatException(file, null, "the body after the front matter is empty.");
        }

        CheckBody(file, body, slots, optional);
        return new ReplyTemplate(id, intent, language, slots, optional, autoSend, carries, body, file);
    }

    /// <summary>
    /// Only <c>{{slot}}</c>, <c>{{#if slot}}</c>, <c>{{else}}</c>, <c>{{/if}}</c> and comments: every slot used is declared,
    /// every declared slot is used, and an optional slot is printed only inside its own <c>{{#if}}</c>.
    /// </summary>
    private static void CheckBody(string file, string body, ImmutableArray<string> slots, ImmutableArray<string> optional)
    {
        var open = new Stack<(string Slot, bool InElse)>();
        var used = new HashSet<string>(StringComparer.Ordinal);
        foreach (Match m in Expression().Matches(body))
        {
            var inner = m.Groups["inner"].Value.Trim('~', ' ');
            if (inner.StartsWith('!'))
            {
                continue;
            }

            if (IfOpen().Match(inner) is { Success: true } ifOpen)
            {
                var slot = ifOpen.Groups[1].Value;
                Declared(file, slot, slots, optional);
                used.Add(slot);
                open.Push((slot, false));
            }
            else if (inner == "else")
            {
                if (open.Count == 0)
                {
                    throw new TemplateFormatException(file, null, "{{else}} outside an {{#if}}.");
                }

                var top = open.Pop();
                open.Push((top.Slot, true));
            }
            else if (inner == "/if")
            {
                if (open.Count == 0)
                {
                    throw new TemplateFormatException(file, null, "{{/if}} without an {{#if}}.");
                }

                open.Pop();
            }
            else if (SlotName().IsMatch(inner))
            {
                Declared(file, inner, slots, optional);
                used.Add(inner);
                if (optional.Contains(inner) && !open.Any(o => o.Slot == inner && !o.InElse))
                {
                    throw new TemplateFormatException(file, "optional", $"'{inner}' is optional, so it may be printed only inside {{{{#if {inner}}}}}.");
                }
            }
            else
            {
                throw new TemplateFormatException(file, null, $"'{m.Value}' is not allowed: use {{{{slot}}}}, {{{{#if slot}}}}, {{{{else}}}}, {{{{/if}}}} or a {{{{! comment}}}}.");
            }
        }

        if (open.Count > 0)
        {
            throw new TemplateFormatException(file, null, $"{{{{#if {open.Peek().Slot}}}}} is never closed.");
        }

        foreach (var unused in slots.Concat(optional).Where(s => !used.Contains(s)))
        {
            throw new TemplateFormatException(file, slots.Contains(unused) ? "slots" : "optional", $"'{unused}' is declared but the body never uses it.");
        }
    }

    private static void Declared(string file, string slot, ImmutableArray<string> slots, ImmutableArray<string> optional)
    {
        if (!slots.Contains(slot) && !optional.Contains(slot))
        {
            throw new TemplateFormatException(file, "slots", $"the body uses '{slot}', which is declared neither in slots nor in optional.");
        }
    }

    private static string Required(string file, Dictionary<string, string> fields, string name) =>
        fields.TryGetValue(name, out var value) && value.Length > 0 ? value : throw new TemplateFormatException(file, name, "missing.");

    private static ImmutableArray<string> List(string file, Dictionary<string, string> fields, string name, bool required)
    {
        if (!fields.TryGetValue(name, out var value))
        {
            return required ? throw new TemplateFormatException(file, name, "missing (write [] for none).") : [];
        }

        var items = value.Trim().TrimStart('[').TrimEnd(']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        foreach (var item in items.Where(i => !SlotName().IsMatch(i)))
        {
            throw new TemplateFormatException(file, name, $"'{item}' is not a name (lower-case letters, digits, underscores).");
        }

        foreach (var twice in items.GroupBy(i => i, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            throw new TemplateFormatException(file, name, $"'{twice.Key}' is listed twice.");
        }

        return [.. items];
    }

    [GeneratedRegex(@"\A---[ \t]*\n(?<meta>.*?)\n---[ \t]*(?:\n|\z)", RegexOptions.Singleline)]
    private static partial Regex FrontMatter();

    [GeneratedRegex(@"\{\{(?<inner>[^}]*)\}\}\}?")]
    private static partial Regex Expression();

    [GeneratedRegex(@"^#if\s+([a-z][a-z0-9_]*)$")]
    private static partial Regex IfOpen();

    [GeneratedRegex(@"^[a-z][a-z0-9_]*$")]
    private static partial Regex SlotName();

    [GeneratedRegex(@"^[a-z0-9][a-z0-9\-]*$")]
    private static partial Regex Id();

    [GeneratedRegex(@"^[a-z]{2}$")]
    private static partial Regex LanguageCode();

    [GeneratedRegex(@"\.([a-z]{2})\.hbs$")]
    private static partial Regex FileLanguage();
}
