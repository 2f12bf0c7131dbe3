using System.ComponentModel.DataAnnotations;
using System.Text;

namespace Sift.Approvals.Teams;

/// <summary>
/// Teams approvals (<c>Sift:Teams</c>): drafts waiting for review are posted to a Teams channel through a Power Automate
/// Workflows webhook as an Adaptive Card whose buttons open signed, single-use approval pages on Sift. Off unless a
/// webhook URL, the public base URL and the link signing key are set. The webhook URLs (their <c>sig=</c> is the
/// credential) and the signing key are secrets: environment only (<c>Sift__Teams__LinkSigningKey</c>, …).
/// </summary>
public sealed class TeamsOptions
{
    public const string Section = "Sift:Teams";

    /// <summary>The fewest bytes a signing key may have: HMAC-SHA256's own output size.</summary>
    public const int MinKeyBytes = 32;

    /// <summary>Owner (as the policy names it, e.g. <c>support-team</c>) → the Workflows webhook URL of that team's channel.</summary>
    public Dictionary<string, string> WebhookUrls { get; set; } = [];

    /// <summary>The webhook for owners that <see cref="WebhookUrls"/> does not name; without it those reviews stay in the console.</summary>
    public string? DefaultWebhookUrl { get; set; }

    /// <summary>Sift's external base URL (e.g. <c>https://sift.contoso.example/</c>): the approval links start with it.</summary>
    public Uri? PublicBaseUrl { get; set; }

    /// <summary>The HMAC key that signs approval links; at least 32 bytes (UTF-8).</summary>
    public string? LinkSigningKey { get; set; }

    /// <summary>A fixed lifetime for links; unset, a link lives until the review's SLA deadline plus <see cref="LinkMargin"/>.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan? LinkLifetime { get; set; }

    /// <summary>
    /// How long after the SLA deadline a link still works (an escalated review can still be decided from the card). At
    /// least five minutes: the escalation card is posted after the deadline, and its links must not be born expired.
    /// </summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan LinkMargin { get; set; } = TimeSpan.FromDays(1);

    /// <summary>The longest a link lives, whatever the deadline.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "30.00:00:00")]
    public TimeSpan MaxLinkLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>Whether a short "Approved by …" card follows a decision (a Workflows post cannot be updated in place).</summary>
    public bool PostDecisions { get; set; } = true;

    /// <summary>
    /// Whether an approval page acts only for a person signed in to Sift (local account or Entra ID) who may decide the
    /// message's mailbox under <c>Sift:Access:Mailboxes</c>. Off, the link is the credential and the name is typed in.
    /// </summary>
    public bool RequireSignIn { get; set; }

    public bool Configured =>
        !string.IsNullOrWhiteSpace(DefaultWebhookUrl) || WebhookUrls.Count > 0 || PublicBaseUrl is not null || !string.IsNullOrWhiteSpace(LinkSigningKey);

    public bool Enabled => Configured && Problem() is null;

    /// <summary>What is missing or wrong, naming the key as the configuration spells it; null when the configuration is complete.</summary>
    public string? Problem()
    {
        if (string.IsNullOrWhiteSpace(DefaultWebhookUrl) && !WebhookUrls.Values.Any(u => !string.IsNullOrWhiteSpace(u)))
        {
            return $"{Section}:WebhookUrls (or {Section}:DefaultWebhookUrl) is missing";
        }

        foreach (var (key, url) in WebhookUrls.Select(w => ($"{Section}:WebhookUrls:{w.Key}", w.Value)).Append(($"{Section}:DefaultWebhookUrl", DefaultWebhookUrl ?? string.Empty)))
        {
            if (!string.IsNullOrWhiteSpace(url) && !IsHttpUrl(url))
            {
                return $"{key} is not an absolute http(s) URL";
            }
        }

        if (PublicBaseUrl is null)
        {
            return $"{Section}:PublicBaseUrl is missing";
        }

        if (!PublicBaseUrl.IsAbsoluteUri || PublicBaseUrl.Scheme is not ("https" or "http"))
        {
            return $"{Section}:PublicBaseUrl is not an absolute http(s) URL";
        }

        if (string.IsNullOrWhiteSpace(LinkSigningKey))
        {
            return $"{Section}:LinkSigningKey is missing";
        }

        return Encoding.UTF8.GetByteCount(LinkSigningKey) < MinKeyBytes
            ? $"{Section}:LinkSigningKey is shorter than {MinKeyBytes} bytes"
            : null;
    }

    public byte[] KeyBytes() => Encoding.UTF8.GetBytes(LinkSigningKey ?? string.Empty);

    /// <summary>The webhook that reviews of this owner go to, or null when they stay in the console.</summary>
    public string? WebhookFor(string owner) =>
        !Enabled ? null
        : WebhookUrls.FirstOrDefault(w => string.Equals(w.Key, owner, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(w.Value)).Value?.Trim() is { } own ? own
        : string.IsNullOrWhiteSpace(DefaultWebhookUrl) ? null
        : DefaultWebhookUrl.Trim();

    /// <summary>Until when the links of a review with this deadline work.</summary>
    public DateTimeOffset LinkExpiry(DateTimeOffset deadline, DateTimeOffset now)
    {
        var wanted = LinkLifetime is { } fixedLifetime ? now + fixedLifetime : deadline + LinkMargin;
        var cap = now + MaxLinkLifetime;
        return wanted < cap ? wanted : cap;
    }

    private static bool IsHttpUrl(string value) =>
        Uri.TryCreate(value.Trim(), UriKind.Absolute, out var url) && url.Scheme is "https" or "http";
}
