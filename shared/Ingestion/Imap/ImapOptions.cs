using System.ComponentModel.DataAnnotations;
using MailKit.Security;
using Microsoft.Extensions.Options;

namespace Sift.Ingestion.Imap;

/// <summary><c>Sift:Imap</c>: the IMAP accounts to watch and how to reconnect. No account, no listener.</summary>
public sealed class ImapOptions
{
    public const string Section = "Sift:Imap";

    public List<ImapAccountOptions> Accounts { get; init; } = [];

    /// <summary>The first reconnect delay; each further failure doubles it up to <see cref="MaxReconnectDelay"/>.</summary>
    public TimeSpan ReconnectDelay { get; set; } = TimeSpan.FromSeconds(2);

    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long a process's claim on an account lasts without renewal (renewed every third of it).</summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(1);
}

/// <summary>One watched folder of one IMAP account.</summary>
public sealed class ImapAccountOptions
{
    /// <summary>Unique; keys the cursor, the lease and the status.</summary>
    [Required]
    public string Name { get; set; } = string.Empty;

    [Required]
    public string Host { get; set; } = string.Empty;

    /// <summary>0 picks 993 for <c>SslOnConnect</c> and <c>Auto</c>, 143 otherwise.</summary>
    [Range(0, 65535)]
    public int Port { get; set; }

    public SecureSocketOptions Security { get; set; } = SecureSocketOptions.Auto;

    [Required]
    public string Username { get; set; } = string.Empty;

    public string? Password { get; set; }

    /// <summary>An OAuth2 access token (SASL XOAUTH2), used instead of <see cref="Password"/> when set.</summary>
    public string? AccessToken { get; set; }

    public string Folder { get; set; } = "INBOX";

    /// <summary>The watched address Sift files the messages under; defaults to <see cref="Username"/>.</summary>
    public string? Mailbox { get; set; }

    /// <summary>How often to look for new mail when IDLE is off or unavailable.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromMinutes(1);

    public bool UseIdle { get; set; } = true;

    /// <summary>
    /// IDLE is ended and issued again this often (RFC 2177 lets servers drop it after 29 minutes), and the folder is
    /// selected again, which shows a changed UIDVALIDITY; polling selects it again as often.
    /// </summary>
    public TimeSpan IdleRefresh { get; set; } = TimeSpan.FromMinutes(9);

    /// <summary>Flag ingested messages <c>\Seen</c>. Off by default: Sift only reads.</summary>
    public bool MarkSeen { get; set; }

    /// <summary>Move ingested messages to this folder. Off by default.</summary>
    public string? MoveTo { get; set; }

    /// <summary>On the very first connection, start after the messages already in the folder instead of ingesting them.</summary>
    public bool SkipExisting { get; set; }

    internal string WatchedMailbox => string.IsNullOrWhiteSpace(Mailbox) ? Username : Mailbox;

    internal int EffectivePort => Port != 0 ? Port : Security is SecureSocketOptions.SslOnConnect or SecureSocketOptions.Auto ? 993 : 143;

    /// <summary>Changes the mailbox only when asked to (flag or move).</summary>
    internal bool WritesToMailbox => MarkSeen || !string.IsNullOrWhiteSpace(MoveTo);
}

internal sealed class ImapOptionsValidator : IValidateOptions<ImapOptions>
{
    public ValidateOptionsResult Validate(string? name, ImapOptions options)
    {
        var errors = new List<string>();
        if (options.ReconnectDelay <= TimeSpan.Zero || options.MaxReconnectDelay < options.ReconnectDelay)
        {
            errors.Add("Sift:Imap:ReconnectDelay must be positive and at most MaxReconnectDelay.");
        }

        if (options.LeaseDuration < TimeSpan.FromSeconds(1))
        {
            errors.Add("Sift:Imap:LeaseDuration must be at least one second.");
        }

        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < options.Accounts.Count; i++)
        {
            var account = options.Accounts[i];
            var at = $"Sift:Imap:Accounts:{i}";
            var results = new List<ValidationResult>();
            if (!Validator.TryValidateObject(account, new ValidationContext(account), results, validateAllProperties: true))
            {
                errors.AddRange(results.Select(r => $"{at}: {r.ErrorMessage}"));
            }

            if (!string.IsNullOrWhiteSpace(account.Name) && !names.Add(account.Name))
            {
                errors.Add($"{at}: the account name '{account.Name}' is used twice; names key the cursors and must be unique.");
            }

            if (string.IsNullOrEmpty(account.Password) && string.IsNullOrEmpty(account.AccessToken))
            {
                errors.Add($"{at}: set Password (or an app password) or AccessToken (OAuth2).");
            }

            if (string.IsNullOrWhiteSpace(account.Folder))
            {
                errors.Add($"{at}: Folder must not be empty.");
            }

            if (account.PollInterval <= TimeSpan.Zero)
            {
                errors.Add($"{at}: PollInterval must be positive.");
            }

            if (account.IdleRefresh <= TimeSpan.Zero || account.IdleRefresh >= TimeSpan.FromMinutes(29))
            {
                errors.Add($"{at}: IdleRefresh must be under 29 minutes (RFC 2177).");
            }

            if (string.Equals(account.MoveTo, account.Folder, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{at}: MoveTo must be another folder than Folder.");
            }
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }
}
