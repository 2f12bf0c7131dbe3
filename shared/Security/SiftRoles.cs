namespace Sift.Security;

/// <summary>The console's roles and the claim types every sign-in (local or Entra ID) produces.</summary>
public static class SiftRoles
{
    public const string Viewer = "viewer";
    public const string Approver = "approver";
    public const string Admin = "admin";

    /// <summary>The name claim: a local user name or the Entra ID <c>preferred_username</c>.</summary>
    public const string NameClaim = "name";

    /// <summary>The role claim, one per role held.</summary>
    public const string RoleClaim = "role";

    /// <summary>Entra ID group ids, kept so mailbox access can be granted to a group.</summary>
    public const string GroupClaim = "groups";

    /// <summary>Authorization policy: may read the console.</summary>
    public const string CanView = "sift.view";

    /// <summary>Authorization policy: may decide reviews (on the mailboxes <see cref="MailboxAccess"/> allows).</summary>
    public const string CanDecide = "sift.decide";

    public static readonly IReadOnlyList<string> All = [Viewer, Approver, Admin];

    /// <summary>The role a configured value names (<c>viewer</c>, <c>Sift.Approver</c>, <c>Admin</c>...), or null.</summary>
    public static string? Parse(string? value)
    {
        var name = value?.Trim();
        if (name is null)
        {
            return null;
        }

        if (name.StartsWith("Sift.", StringComparison.OrdinalIgnoreCase))
        {
            name = name[5..];
        }

        return All.FirstOrDefault(r => string.Equals(r, name, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>Each role includes the ones below it, so a policy asks for one role and every higher one passes.</summary>
    public static IEnumerable<string> Implied(string role) => role switch
    {
        Admin => [Admin, Approver, Viewer],
        Approver => [Approver, Viewer],
        _ => [Viewer],
    };
}
