namespace Sift.Tests.Integration.Templates;

/// <summary>A temporary copy of the shipped templates with one file changed, deleted when disposed.</summary>
internal sealed class TemplateFolder : IDisposable
{
    private TemplateFolder(string path) => Path = path;

    public string Path { get; }

    public static async Task<TemplateFolder> CopyWithAsync(string fileName, Func<string, string> edit)
    {
        var folder = new TemplateFolder(Directory.CreateTempSubdirectory("sift-templates-").FullName);
        foreach (var file in Directory.GetFiles(System.IO.Path.Combine(AppContext.BaseDirectory, "templates"), "*.hbs"))
        {
            File.Copy(file, System.IO.Path.Combine(folder.Path, System.IO.Path.GetFileName(file)));
        }

        var target = System.IO.Path.Combine(folder.Path, fileName);
        await File.WriteAllTextAsync(target, edit(await File.ReadAllTextAsync(target, TestContext.Current.CancellationToken)), TestContext.Current.CancellationToken);
        return folder;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
