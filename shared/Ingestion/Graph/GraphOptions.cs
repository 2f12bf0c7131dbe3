using System.ComponentModel.DataAnnotations;

namespace Sift.Ingestion.Graph;

/// <summary>
/// Microsoft Graph ingestion (<c>Sift:Graph</c>): app-only access to the watched mailboxes of one tenant.
/// Ingestion is on only when <see cref="TenantId"/>, <see cref="ClientId"/> and <see cref="Mailboxes"/> are set.
/// </summary>
public sealed class GraphOptions
{
    public const string Section = "Sift:Graph";

    public string? TenantId { get; set; }

    public string? ClientId { get; set; }

    /// <summary>From a secret store or the environment (<c>Sift__Graph__ClientSecret</c>), never appsettings.</summary>
    public string? ClientSecret { get; set; }

    /// <summary>A PFX or PEM file with the app's certificate and private key, used instead of a client secret.</summary>
    public string? CertificatePath { get; set; }

    public string? CertificatePassword { get; set; }

    /// <summary>The public HTTPS URL of <c>/webhooks/graph</c>.</summary>
    public Uri? NotificationUrl { get; set; }

    /// <summary>The public HTTPS URL of <c>/webhooks/graph/lifecycle</c>; set at creation only (Graph cannot add it later).</summary>
    public Uri? LifecycleNotificationUrl { get; set; }

    /// <summary>The watched mailboxes (addresses or user ids), one subscription each.</summary>
    public IList<string> Mailboxes { get; } = [];

    [Required]
    public Uri BaseUrl { get; set; } = new("https://graph.microsoft.com/v1.0");

    /// <summary>How often the delta query runs per mailbox as a fallback to notifications.</summary>
    [Range(typeof(TimeSpan), "00:00:05", "1.00:00:00")]
    public TimeSpan DeltaInterval { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>How often the subscription manager checks expiries (renewal is due well before expiry).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "1.00:00:00")]
    public TimeSpan CheckInterval { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>The lifetime requested at creation and renewal; mail allows at most 10,080 minutes.</summary>
    [Range(typeof(TimeSpan), "00:45:00", "7.00:00:00")]
    public TimeSpan SubscriptionLifetime { get; set; } = TimeSpan.FromDays(3);

    /// <summary>A subscription with less than this left is renewed.</summary>
    [Range(typeof(TimeSpan), "00:10:00", "6.00:00:00")]
    public TimeSpan RenewBefore { get; set; } = TimeSpan.FromDays(1);

    /// <summary>How far back the first delta query of a mailbox looks (the inbox's older mail is not triaged).</summary>
    [Range(typeof(TimeSpan), "00:00:00", "30.00:00:00")]
    public TimeSpan InitialCatchUp { get; set; } = TimeSpan.FromDays(1);

    /// <summary>An app and its secret or certificate: enough to call Graph (the Graph reply transport needs no watched mailboxes).</summary>
    public bool CanAuthenticate =>
        !string.IsNullOrWhiteSpace(TenantId) && !string.IsNullOrWhiteSpace(ClientId) && (!string.IsNullOrEmpty(ClientSecret) || !string.IsNullOrEmpty(CertificatePath));

    public bool Enabled =>
        !string.IsNullOrWhiteSpace(TenantId) && !string.IsNullOrWhiteSpace(ClientId) && Mailboxes.Any(m => !string.IsNullOrWhiteSpace(m));
}
