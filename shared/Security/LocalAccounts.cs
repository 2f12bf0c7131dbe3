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
    /// The role a local account has now and a fingerprint of its credential, or null when it no longer exists or local
    /// sign-in is off. A session is checked against it on every request, so a removed account, a changed role or a
    /// changed password ends the sessions opened before.
    /// </summary>
    public LocalAccountState? Current(string user)
    {
        if (ReplacedByEntra || string.IsNullOrEmpty(user))
        {
            return null;
        }

        var current = options.CurrentValue;
        if (string.Equals(user, current.LocalAdmin.User, StringComparison.OrdinalIgnoreCase))
        {
            var credential = !string.IsNullOrWhiteSpace(current.LocalAdmin.PasswordHash) ? current.LocalAdmin.PasswordHash : EnvironmentPassword;
            return AdminConfigured && credential is { Length: > 0 } ? new LocalAccountState(SiftRoles.Admin, Fingerprint(credential)) : null;
        }

        return FindUser(current, user) is { Account: var account }
            && LocalPasswords.IsWellFormed(account.PasswordHash)
            && SiftRoles.Parse(account.Role) is { } role
            ? new LocalAccountState(role, Fingerprint(account.PasswordHash!))
            : null;
    }

    /// <summary>A short digest of the stored hash (or the first-run password): it changes when the password does, and reveals nothing usable.</summary>
    private static string Fingerprint(string credential) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("sift.console.session\n" + credential)).AsSpan(0, 8));

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
            bool ok;
            if (!string.IsNullOrWhiteSpace(current.LocalAdmin.PasswordHash))
            {
                ok = LocalPasswords.Verify(password, current.LocalAdmin.PasswordHash);
            }
            else
            {
                // The same hashing cost as any other answer, so timing does not single out the admin's user name.
                LocalPasswords.Verify(password, DecoyHash);
                ok = EnvironmentPassword is { Length: > 0 } plain && FixedTimeEquals(password, plain);
            }

            return ok ? (current.LocalAdmin.User, SiftRoles.Admin) : null;
        }

        if (FindUser(current, user) is not var (name, account))
        {
            LocalPasswords.Verify(password, DecoyHash);
            return null;
        }

        return SiftRoles.Parse(account.Role) is { } role && LocalPasswords.Verify(password, account.PasswordHash) ? (name, role) : null;
    }

    /// <summary>A configured user by name, whatever its case; the name comes back as configured.</summary>
    private static (string Name, LocalUserOptions Account)? FindUser(LocalAccountsOptions current, string user) =>
        current.Users.FirstOrDefault(u => string.Equals(u.Key, user, StringComparison.OrdinalIgnoreCase)) is { Value: { } account } match
            ? (match.Key, account)
            : null;

    private static bool FixedTimeEquals(string presented, string expected) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), SHA256.HashData(Encoding.UTF8.GetBytes(expected)));
}

/// <summary>What a local account is now: its role and a fingerprint of its credential.</summary>
public sealed record LocalAccountState(string Role, string CredentialFingerprint);
