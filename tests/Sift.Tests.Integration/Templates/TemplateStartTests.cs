using Sift.Templates;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Templates;

/// <summary>The templates are loaded when the host starts: a missing folder or a broken file stops the start and names itself.</summary>
public sealed class TemplateStartTests
{
    [Fact]
    public async Task A_missing_templates_folder_stops_the_start_with_its_path()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var missing = Path.Combine(Path.GetTempPath(), $"sift-no-templates-{Guid.NewGuid():N}");
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Templates:Folder"] = missing });

        var error = Assert.Throws<DirectoryNotFoundException>(() => host.Services);

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_broken_template_file_stops_the_start_naming_the_file_and_the_field()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        using var folder = await TemplateFolder.CopyWithAsync("pricing.en.hbs",
            text => text.Replace("auto_send: true", "auto_send: yes", StringComparison.Ordinal));
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Templates:Folder"] = folder.Path });

        var error = Assert.Throws<TemplateFormatException>(() => host.Services);

        Assert.Contains("pricing.en.hbs", error.Message, StringComparison.Ordinal);
        Assert.Equal("auto_send", error.Field);
    }
}
