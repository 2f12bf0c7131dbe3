using System.ComponentModel.DataAnnotations;
using MailKit.Security;
using Microsoft.Extensions.Options;
using Sift.Ingestion.Gmail;
using Sift.Ingestion.Graph;

namespace Sift.Mail.Transports;

/// <summary>
/// How replies leave Sift (<c>Sift:Sending</c>): one transport for every mailbox, or one per mailbox. A reply always
/// leaves from the mailbox that received the mail, whatever the transport.
/// </summary>
public sealed class SendingOptions
{
    public const string Section = "Sift:Sending";

    public const string OutboxName = "outbox";
    public const string GraphName = "graph";
    public const string SmtpName = "smtp";
    public const string GmailName = "gmail";

    public static readonly IReadOnlyList<string> Transports = [OutboxName, GraphName, GmailName, SmtpName];

    /// <summary><c>outbox</c> (the embedded default: .eml files, nothing leaves), <c>graph</c>, <c>gmail</c> or <c>smtp</c>.</summary>
    [Required]
    public string Transport { get; set; } = OutboxName;

    /// <summary>A transport per mailbox (<c>Sift:Sending:Mailboxes:support@contoso.example = graph</c>), over <see cref="Transport"/>.</summary>
    public Dictionary<string, string> Mailboxes { get; init; } = new(StringComparer.OrdinalIgnoreCase);

    public SmtpSendingOptions Smtp { get; init; } = new();

    /// <summary>The transport of a mailbox.</summary>
    public string TransportFor(string mailbox) =>
        (Mailboxes.FirstOrDefault(m => string.Equals(m.Key.Trim(), mailbox.Trim(), StringComparison.OrdinalIgnoreCase)).Value ?? Transport).Trim().ToLowerInvariant();

    /// <summary>Every transport some mailbox uses.</summary>
    public IEnumerable<string> TransportsInUse() =>
        Mailboxes.Values.Append(Transport).Select(t => t.Trim().ToLowerInvariant()).Distinct(StringComparer.Ordinal);
}

/// <summary>
/// <c>Sift:Sending:Smtp</c>: the submission server, and the IMAP folder where a copy of each reply is kept. SMTP cannot
/// be asked whether it accepted a message, so the copy is what tells, after a crash, that a reply already left.
/// </summary>
public sealed class SmtpSendingOptions
{
    public string? Host { get; set; }

    [Range(0, 65535)]
    public int Port { get; set; } = 587;

    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.StartTls;

    public string? Username { get; set; }

    /// <summary>From a secret store or the environment (<c>Sift__Sending__Smtp__Password</c>), never appsettings.</summary>
    public string? Password { get; set; }

    /// <summary>The IMAP server holding the Sent folder (usually the same host as SMTP, on 993).</summary>
    public string? ImapHost { get; set; }

    [Range(0, 65535)]
    public int ImapPort { get; set; } = 993;

    public SecureSocketOptions ImapSecurity { get; set; } = SecureSocketOptions.SslOnConnect;

    /// <summary>Defaults to <see cref="Username"/>.</summary>
    public string? ImapUsername { get; set; }

    /// <summary>Defaults to <see cref="Password"/>.</summary>
    public string? ImapPassword { get; set; }

    [Required]
    public string SentFolder { get; set; } = "Sent";
}

/// <summary>Names every missing setting of every transport in use, at start.</summary>
internal sealed class SendingOptionsValidator(IOptions<GraphOptions> graph, IOptions<GmailOptions> gmail) : IValidateOptions<SendingOptions>
{
    public ValidateOptionsResult Validate(string? name, SendingOptions options)
    {
        var errors = new List<string>();
        foreach (var (mailbox, transport) in options.Mailboxes.Select(m => (m.Key, m.Value)).Prepend(("(default)", options.Transport)))
        {
            if (!SendingOptions.Transports.Contains(transport.Trim().ToLowerInvariant()))
            {
                errors.Add($"{SendingOptions.Section}:{(mailbox == "(default)" ? "Transport" : $"Mailboxes:{mailbox}")} is '{transport}'; it must be one of {string.Join(", ", SendingOptions.Transports)}.");
            }
        }

        var inUse = options.TransportsInUse().ToHashSet(StringComparer.Ordinal);
        if (inUse.Contains(SendingOptions.GraphName))
        {
            var g = graph.Value;
            Require(errors, g.TenantId, "Sift:Graph:TenantId", "the Graph transport");
            Require(errors, g.ClientId, "Sift:Graph:ClientId", "the Graph transport");
            if (string.IsNullOrEmpty(g.ClientSecret) && string.IsNullOrEmpty(g.CertificatePath))
            {
                errors.Add("Sift:Graph:ClientSecret or Sift:Graph:CertificatePath is required by the Graph transport.");
            }
        }

        if (inUse.Contains(SendingOptions.GmailName))
        {
            Require(errors, gmail.Value.CredentialsFile, "Sift:Gmail:CredentialsFile", "the Gmail transport (a service account key with domain-wide delegation for gmail.send and gmail.readonly)");
        }

        if (inUse.Contains(SendingOptions.SmtpName))
        {
            var smtp = options.Smtp;
            Require(errors, smtp.Host, $"{SendingOptions.Section}:Smtp:Host", "the SMTP transport");
            Require(errors, smtp.ImapHost, $"{SendingOptions.Section}:Smtp:ImapHost", "the SMTP transport (the Sent folder is how a crash is recovered without sending twice)");
            Require(errors, smtp.ImapUsername ?? smtp.Username, $"{SendingOptions.Section}:Smtp:ImapUsername (or Username)", "the SMTP transport");
            Require(errors, smtp.ImapPassword ?? smtp.Password, $"{SendingOptions.Section}:Smtp:ImapPassword (or Password)", "the SMTP transport");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private static void Require(List<string> errors, string? value, string key, string who)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{key} is required by {who}.");
        }
    }
}
