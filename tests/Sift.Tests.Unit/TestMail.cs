using System.Text;
using Sift.Mail;

namespace Sift;

/// <summary>Messages, a fixed clock and repository paths shared by the unit tests.</summary>
internal static class TestMail
{
    public const string Mailbox = "support@contoso.example";

    /// <summary>A Tuesday morning, so that proposed meeting slots fall on known weekdays.</summary>
    public static readonly DateTimeOffset Now = new(2026, 11, 10, 9, 30, 0, TimeSpan.Zero);

    /// <summary>An ordinary customer message with no machine-mail signal.</summary>
    public static InboundMessage Message(
        string subject = "Question about my account",
        string text = "Hello, could you tell me where I change the address on my account? Thanks, Ana",
        string from = "ana.lopez@customer.example",
        string? name = "Ana Lopez") => new()
        {
            InternetMessageId = "msg-1@customer.example",
            From = new EmailAddress(from, name),
            To = [new EmailAddress(Mailbox)],
            Subject = subject,
            ReceivedAt = Now,
            ThreadId = "msg-1@customer.example",
            Text = text,
        };

    public static InboundMessage WithHeader(this InboundMessage message, string name, string value) =>
        message with { Headers = message.Headers.SetItem(name.ToLowerInvariant(), value) };

    /// <summary>Parses a raw message written with LF line endings in the test, sent with CRLF as on the wire.</summary>
    public static MailParseResult Parse(string raw) => MimeNormalizer.Parse(Encoding.UTF8.GetBytes(raw.ReplaceLineEndings("\r\n")), Now);

    public static InboundMessage ParseValid(string raw) =>
        Parse(raw) is { Message: { } message } ? message : throw new InvalidOperationException("The test message did not parse.");
}

internal static class RepoPaths
{
    /// <summary>The repository root: the folder above the test binaries that holds Sift.sln.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The public evaluation data, kept next to the repository and never copied into it.</summary>
    public static string SharedData => Path.GetFullPath(Path.Combine(Root, "..", "shared", "data"));

    public static string DemoMailbox => Path.Combine(Root, "samples", "demo-mailbox");

    public static InboundMessage Sample(string fileName)
    {
        var result = MimeNormalizer.Parse(File.ReadAllBytes(Path.Combine(DemoMailbox, fileName)), TestMail.Now);
        return result.Message ?? throw new InvalidOperationException($"{fileName} did not parse: {result.Error}");
    }

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sift.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds Sift.sln.");
    }
}
