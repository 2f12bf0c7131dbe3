using System.Text;

namespace Sift.Tests.Integration.Infrastructure;

/// <summary>Test messages: Sift's own sample mailbox and small generated ones.</summary>
public static class TestMail
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string SampleFolder => Path.Combine(RepoRoot, "samples", "demo-mailbox");

    public static byte[] Sample(string file) => File.ReadAllBytes(Path.Combine(SampleFolder, file));

    public static IReadOnlyList<string> SampleFiles() =>
        [.. Directory.GetFiles(SampleFolder, "*.eml").Select(Path.GetFileName).Order(StringComparer.Ordinal).OfType<string>()];

    /// <summary>A plain message; scheduling text by default, which the default policy auto-answers.</summary>
    public static byte[] Raw(
        string messageId,
        string from = "Lena Fischer <lena@initech.example>",
        string subject = "Can we schedule a demo meeting?",
        string body = "Hi, could we schedule a 30-minute demo meeting next week? Please share your availability.\n\nLena",
        string? extraHeaders = null) =>
        Encoding.UTF8.GetBytes(
            $"From: {from}\r\nTo: support@contoso.example\r\nSubject: {subject}\r\nDate: Tue, 24 Nov 2026 09:00:00 +0000\r\n" +
            $"Message-ID: <{messageId}>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n{extraHeaders}\r\n{body}\r\n");

    private static string FindRepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sift.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("Could not find the repository root (Sift.sln) above the test binaries.");
    }
}
