using System.ComponentModel.DataAnnotations;

namespace Sift.Security;

/// <summary>Local console accounts (<c>Sift:Console</c>): the local admin of the embedded default and optional extra users.</summary>
public sealed class LocalAccountsOptions
{
    public const string Section = "Sift:Console";

    /// <summary>The environment variable that sets the local admin's password at start (first run), instead of a stored hash.</summary>
    public const string PasswordVariable = "SIFT_ADMIN_PASSWORD";

    public LocalAdminOptions LocalAdmin { get; set; } = new();

    /// <summary>User name → role and password hash: more local accounts (a viewer, an approver) for a small team.</summary>
    public Dictionary<string, LocalUserOptions> Users { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>
    /// The longest a console sign-in lasts, however active the person is (the cookie slides for 8 hours of inactivity
    /// within it); then they sign in again and an Entra ID sign-in picks up the roles and groups as they are then.
    /// </summary>
    [Range(typeof(TimeSpan), "00:05:00", "7.00:00:00")]
    public TimeSpan MaxSessionAge { get; set; } = TimeSpan.FromHours(12);

    /// <summary>Sign-in attempts one client address may make per minute before the login answers 429.</summary>
    [Range(1, 1000)]
    public int LoginAttemptsPerMinute { get; set; } = 10;
}

public sealed class LocalAdminOptions
{
    [Required]
    [MaxLength(320)]
    public string User { get; set; } = "admin";

    /// <summary>A hash from <c>sift hash-password</c>; the password itself never goes into configuration.</summary>
    public string? PasswordHash { get; set; }

    /// <summary>Keep the local admin login when Entra ID is configured (a break-glass account); off by default.</summary>
    public bool KeepWithEntra { get; set; }
}

public sealed class LocalUserOptions
{
    public string? Role { get; set; }

    public string? PasswordHash { get; set; }
}

/// <summary>
/// Which mailboxes an approver may decide (<c>Sift:Access:Mailboxes:{who}</c>), where who is a user name, a role
/// (<c>approver</c>) or an Entra ID group id, and the value a list of mailboxes (<c>*</c> = every mailbox). Admins decide everything.
/// </summary>
public sealed class AccessOptions
{
    public const string Section = "Sift:Access";

    public Dictionary<string, List<string>> Mailboxes { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}

/// <summary>Microsoft Entra ID sign-in (OpenID Connect, <c>Sift:Auth:Entra</c>); off until <see cref="ClientId"/> is set.</summary>
public sealed class EntraOptions
{
    public const string Section = "Sift:Auth:Entra";

    [Required]
    public Uri Instance { get; set; } = new("https://login.microsoftonline.com/");

    public string? TenantId { get; set; }

    public string? ClientId { get; set; }

    /// <summary>The app registration's client secret: from the environment (<c>Sift__Auth__Entra__ClientSecret</c>) or a vault, never appsettings.</summary>
    public string? ClientSecret { get; set; }

    [Required]
    public string CallbackPath { get; set; } = "/signin-oidc";

    /// <summary>Entra ID group object id → Sift role, for tenants that grant access by group rather than app role.</summary>
    public Dictionary<string, string> Groups { get; set; } = new(StringComparer.OrdinalIgnoreCase);

    public bool Configured => !string.IsNullOrWhiteSpace(ClientId) || !string.IsNullOrWhiteSpace(TenantId) || !string.IsNullOrWhiteSpace(ClientSecret);

    /// <summary>The first required key that is missing, named as the configuration spells it; null when complete.</summary>
    public string? MissingKey() =>
        string.IsNullOrWhiteSpace(TenantId) ? $"{Section}:TenantId"
        : string.IsNullOrWhiteSpace(ClientId) ? $"{Section}:ClientId"
        : string.IsNullOrWhiteSpace(ClientSecret) ? $"{Section}:ClientSecret"
        : null;

    /// <summary>The v2.0 authority: the instance, the tenant and the version, as Entra ID's discovery document expects.</summary>
    public Uri Authority => new(Instance, $"{TenantId}/v2.0");
}
