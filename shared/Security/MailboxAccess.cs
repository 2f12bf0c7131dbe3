using System.Security.Claims;
using Microsoft.Extensions.Options;

namespace Sift.Security;

/// <summary>Whether a signed-in person may decide the reviews of a mailbox (<c>Sift:Access:Mailboxes</c>).</summary>
public sealed class MailboxAccess(IOptionsMonitor<AccessOptions> options)
{
    public const string AllMailboxes = "*";

    public bool CanDecide(ClaimsPrincipal user, string mailbox)
    {
        if (user.IsInRole(SiftRoles.Admin))
        {
            return true;
        }

        if (!user.IsInRole(SiftRoles.Approver))
        {
            return false;
        }

        // Grants are looked up by user name, by each role and by each Entra ID group; none at all means no mailbox.
        var who = user.FindAll(SiftRoles.NameClaim).Concat(user.FindAll(SiftRoles.RoleClaim)).Concat(user.FindAll(SiftRoles.GroupClaim)).Select(c => c.Value);
        var grants = options.CurrentValue.Mailboxes;
        return who.Any(w => grants.TryGetValue(w, out var mailboxes)
            && mailboxes.Any(m => m == AllMailboxes || string.Equals(m.Trim(), mailbox, StringComparison.OrdinalIgnoreCase)));
    }
}
