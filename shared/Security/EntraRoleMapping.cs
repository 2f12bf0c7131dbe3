using System.Security.Claims;

namespace Sift.Security;

/// <summary>
/// Turns an Entra ID id_token's claims into Sift's: the name, the roles from app-role values (<c>roles</c>: <c>viewer</c>,
/// <c>Sift.Approver</c>...) and from group ids mapped in <c>Sift:Auth:Entra:Groups</c>, and the groups for mailbox grants.
/// </summary>
public static class EntraRoleMapping
{
    public const string AuthenticationType = "entra";

    public static ClaimsIdentity Map(IEnumerable<Claim> claims, EntraOptions options)
    {
        var all = claims.ToList();
        string? First(string type) => all.FirstOrDefault(c => c.Type == type && !string.IsNullOrWhiteSpace(c.Value))?.Value;
        // The name keys mailbox grants, so it comes only from preferred_username (the UPN an admin sets in a work tenant;
        // a renamed UPN changes the grants it matches) or the object id; never email or name, which a user or a guest's
        // home tenant may set. Grants by group id or by role do not depend on the name at all.
        var name = First("preferred_username") ?? First("oid") ?? First("sub") ?? "unknown";
        var groups = all.Where(c => c.Type == "groups").Select(c => c.Value).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        var granted = all.Where(c => c.Type == "roles").Select(c => SiftRoles.Parse(c.Value))
            .Concat(groups.Select(g => options.Groups.TryGetValue(g, out var role) ? SiftRoles.Parse(role) : null))
            .OfType<string>()
            .SelectMany(SiftRoles.Implied)
            .Distinct(StringComparer.Ordinal);

        var identity = new ClaimsIdentity(AuthenticationType, SiftRoles.NameClaim, SiftRoles.RoleClaim);
        identity.AddClaim(new Claim(SiftRoles.NameClaim, name));
        identity.AddClaims(granted.Select(r => new Claim(SiftRoles.RoleClaim, r)));
        identity.AddClaims(groups.Select(g => new Claim(SiftRoles.GroupClaim, g)));
        if (First("oid") is { } oid)
        {
            identity.AddClaim(new Claim("oid", oid));
        }

        return identity;
    }
}
