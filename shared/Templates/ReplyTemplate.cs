using System.Collections.Immutable;
using HandlebarsDotNet;

namespace Sift.Templates;

/// <summary>
/// A reply template loaded from a file of the templates folder: its metadata and its compiled Handlebars body.
/// <see cref="Slots"/> must all have a value; <see cref="OptionalSlots"/> appear only inside <c>{{#if slot}}</c>.
/// </summary>
public sealed record ReplyTemplate(
    string Id,
    string Intent,
    string Language,
    ImmutableArray<string> Slots,
    ImmutableArray<string> OptionalSlots,
    bool AutoSendAllowed,
    ImmutableArray<string> Carries,
    string Body,
    string Source)
{
    internal HandlebarsTemplate<object, object>? Compiled { get; init; }

    /// <summary>True when the template itself carries the commitment (e.g. <c>eta</c>, <c>discount</c>), so the lint allows it.</summary>
    public bool CarriesCommitment(string kind) => Carries.Contains(kind, StringComparer.Ordinal);
}

/// <summary>Thrown when a template is rendered without one of its slots: a reply never goes out with a hole in it.</summary>
public sealed class MissingSlotException(string templateId, IReadOnlyList<string> missing)
    : Exception($"Template '{templateId}' is missing slot(s): {string.Join(", ", missing)}.")
{
    public IReadOnlyList<string> Missing { get; } = missing;
}

/// <summary>A template file that cannot be used: names the file and, when it is about one, the front-matter field.</summary>
public sealed class TemplateFormatException(string file, string? field, string problem)
    : Exception(field is null ? $"Template file '{file}': {problem}" : $"Template file '{file}', field '{field}': {problem}")
{
    public string File { get; } = file;

    public string? Field { get; } = field;
}
