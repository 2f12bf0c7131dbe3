using System.Text.Json;

namespace Sift.Mail;

public sealed class MailCorpusTests
{
    [Fact]
    public void Every_mime_edge_case_parses_without_throwing()
    {
        var folder = Path.Combine(RepoPaths.SharedData, "mime-edge-cases");
        var manifest = Path.Combine(folder, "manifest.jsonl");
        if (!File.Exists(manifest))
        {
            Assert.Skip($"../shared/data/mime-edge-cases is not present: looked for {manifest}.");
        }

        var files = File.ReadLines(manifest)
            .Where(line => !string.IsNullOrWhiteSpace(line))
            .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("file").GetString()!)
            .ToList();
        var failures = new List<string>();
        foreach (var file in files)
        {
            var path = Path.Combine(folder, file);
            if (!File.Exists(path))
            {
                failures.Add($"{file}: listed in the manifest but missing");
                continue;
            }

            try
            {
                var result = MimeNormalizer.Parse(File.ReadAllBytes(path), TestMail.Now);
                if (result.Message is null && result.Error is null)
                {
                    failures.Add($"{file}: neither a message nor an error");
                }
            }
            catch (Exception ex)
            {
                failures.Add($"{file}: {ex.GetType().Name}: {ex.Message}");
            }
        }

        Assert.NotEmpty(files);
        Assert.Empty(failures);
    }

    [Fact]
    public void Every_demo_mailbox_sample_parses_to_a_message()
    {
        var files = Directory.GetFiles(RepoPaths.DemoMailbox, "*.eml");
        var failures = files
            .Select(path => (Name: Path.GetFileName(path), Result: MimeNormalizer.Parse(File.ReadAllBytes(path), TestMail.Now)))
            .Where(x => x.Result.Message is null)
            .Select(x => $"{x.Name}: {x.Result.Field}: {x.Result.Error}")
            .ToList();

        Assert.NotEmpty(files);
        Assert.Empty(failures);
    }
}
