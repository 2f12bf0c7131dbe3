using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace Sift.Security;

/// <summary>Checks a local console sign-in: the local admin (a stored hash or <c>SIFT_ADMIN_PASSWORD</c>) and the configured users.</summary>
public sealed class LocalAccounts(IOptionsMonitor<LocalAccountsOptions> options, IOptions<EntraOptions> entra, IConfiguration configuration)
{
    /// <summary>Whether the login form is offered: some local account exists and Entra ID has not replaced it.</summary>
    public bool Enabled => AdminConfigured || (!ReplacedByEntra && options.CurrentValue.Users.Count > 0);

    /// <summary>Whether local sign-in is switched off because Entra ID is configured (and the admin is not kept).</summary>
    public bool ReplacedByEntra => entra.Value.Configured && !options.CurrentValue.LocalAdmin.KeepWithEntra;

    public bool AdminConfigured =>
        !ReplacedByEntra && (!string.IsNullOrWhiteSpace(options.CurrentValue.LocalAdmin.PasswordHash) || !string.IsNullOrEmpty(EnvironmentPassword));

    private string? EnvironmentPassword => configuration[LocalAccountsOptions.PasswordVariable];

    /// <summary>A hash no password matches, checked for unknown users so that an answer's timing does not tell which users exist.</summary>
    private static readonly string DecoyHash = LocalPasswords.Hash(Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)));

    /// <summary>
    /// The role a local account has now, or null when it no longer exists or local sign-in is off: a signed-in session is
    /// checked against it, so a removed account or a lowered role takes effect on the next request.
    /// </summary>
    public string? CurrentRole(string user)
    {
        if (ReplacedByEntra || string.IsNullOrEmpty(user))
        {
            return null;
        }

        var current = options.CurrentValue;
        if (string.Equals(user, current.LocalAdmin.User, StringComparison.OrdinalIgnoreCase))
        {
            return AdminConfigured ? SiftRoles.Admin : null;
        }

        return current.Users.TryGetValue(user, out var account) && LocalPasswords.IsWellFormed(account.PasswordHash) ? SiftRoles.Parse(account.Role) : null;
    }

    /// <summary>The account's user name (as configured) and role when the password matches; null otherwise.</summary>
    public (string User, string Role)? Verify(string user, string password)
    {
        if (ReplacedByEntra || string.IsNullOrEmpty(user) || string.IsNullOrEmpty(password))
        {
            return null;
        }

        var current = options.CurrentValue;
        if (string.Equals(user, current.LocalAdmin.User, StringComparison.OrdinalIgnoreCase))
        {
            var ok = !string.IsNullOrWhiteSpace(current.LocalAdmin.PasswordHash)
                ? LocalPasswords.Verify(password, current.LocalAdmin.PasswordHash)
                : EnvironmentPassword is { Length: > 0 } plain && FixedTimeEquals(password, plain);
            return ok ? (current.LocalAdmin.User, SiftRoles.Admin) : null;
        }

        if (current.Users.FirstOrDefault(u => string.Equals(u.Key, user, StringComparison.OrdinalIgnoreCase)) is not { Value: { } account } match)
        {
            LocalPasswords.Verify(password, DecoyHash);
            return null;
        }

        return SiftRoles.Parse(account.Role) is { } role && LocalPasswords.Verify(password, account.PasswordHash) ? (match.Key, role) : null;
    }

    private static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}
