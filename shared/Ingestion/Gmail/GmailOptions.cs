using System.ComponentModel.DataAnnotations;

namespace Sift.Ingestion.Gmail;

/// <summary>
/// Gmail / Google Workspace ingestion (<c>Sift:Gmail</c>): Pub/Sub push notifications for the watched mailboxes, read
/// through a service account with domain-wide delegation. Ingestion is on only when <see cref="Audience"/>,
/// <see cref="PushServiceAccount"/> and <see cref="Mailboxes"/> are set.
/// </summary>
public sealed class GmailOptions
{
    public const string Section = "Sift:Gmail";

    /// <summary>The audience configured on the push subscription (by default its endpoint URL, exactly as typed there).</summary>
    public string? Audience { get; set; }

    /// <summary>The service account the push subscription authenticates as: the push token's <c>email</c> claim.</summary>
    public string? PushServiceAccount { get; set; }

    /// <summary>The topic <c>users.watch</c> publishes to: <c>projects/{project}/topics/{topic}</c>.</summary>
    public string? Topic { get; set; }

    /// <summary>The watched mailboxes (Workspace addresses the service account may impersonate).</summary>
    public IList<string> Mailboxes { get; } = [];

    /// <summary>
    /// The service account's JSON key, with domain-wide delegation for <see cref="GmailAccessTokens.Scope"/>. Without it no
    /// Gmail call is made: pushes are still verified and queued, and their jobs fail with the reason (retry them once it is set).
    /// </summary>
    public string? CredentialsFile { get; set; }

    [Required]
    public Uri BaseUrl { get; set; } = new("https://gmail.googleapis.com");

    /// <summary>Google's OAuth signing keys, which sign the push tokens.</summary>
    [Required]
    public Uri JwksUrl { get; set; } = new("https://www.googleapis.com/oauth2/v3/certs");

    /// <summary>How often <c>users.watch</c> is renewed per mailbox; Google asks for at least every 7 days and recommends daily.</summary>
    [Range(typeof(TimeSpan), "00:00:01", "6.00:00:00")]
    public TimeSpan WatchInterval { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Tolerated clock difference when checking a push token's expiry.</summary>
    [Range(typeof(TimeSpan), "00:00:00", "00:05:00")]
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The most messages a full resync (history too old) ingests per mailbox.</summary>
    [Range(1, 5000)]
    public int ResyncLimit { get; set; } = 500;

    /// <summary>What a full resync asks Gmail for, besides the INBOX label.</summary>
    [Required]
    public string ResyncQuery { get; set; } = "newer_than:2d";

    public bool Enabled =>
        !string.IsNullOrWhiteSpace(Audience) && !string.IsNullOrWhiteSpace(PushServiceAccount) && Mailboxes.Any(m => !string.IsNullOrWhiteSpace(m));

    /// <summary>Whether the address is one of <see cref="Mailboxes"/> (Gmail addresses compare case-insensitively).</summary>
    public string? FindMailbox(string? address) =>
        address is null ? null : Mailboxes.FirstOrDefault(m => string.Equals(m.Trim(), address.Trim(), StringComparison.OrdinalIgnoreCase))?.Trim();
}
