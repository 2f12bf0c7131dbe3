using Sift.Drafting;

namespace Sift.Templates;

/// <summary>The shipped templates folder, as copied beside the test binaries, and a drafter using it.</summary>
internal static class TestTemplates
{
    public static string Folder => Path.Combine(AppContext.BaseDirectory, "templates");

    public static TemplateLibrary Library { get; } = TemplateLibrary.Load(Folder);

    public static Drafter Drafter { get; } = new(Library, []);
}
