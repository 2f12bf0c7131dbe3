namespace Sift.Templates;

/// <summary>Section <c>Sift:Templates</c>: where the template files are and which values an outgoing text may always contain.</summary>
public sealed class TemplateOptions
{
    public const string Section = "Sift:Templates";

    /// <summary>The folder of <c>*.hbs</c> files; a relative path is taken from the executable's folder.</summary>
    public string Folder { get; set; } = "templates";

    /// <summary>
    /// Approved sources for the lint, beside the policy's slot values: URLs (a prefix), domains (<c>contoso.example</c>
    /// allows its URLs and addresses), email addresses, phone numbers, and approved paragraphs (e.g. the price sheet).
    /// </summary>
    public List<string> Approved { get; set; } = [];

    public string ResolvedFolder => Path.IsPathRooted(Folder) ? Folder : Path.Combine(AppContext.BaseDirectory, Folder);
}
