using System.Security.Claims;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using Sift.Security;

namespace Sift.Tests.Unit.Security;

public sealed class LocalPasswordsTests
{
    [Fact]
    public void A_hash_verifies_its_password_only()
    {
        var hash = LocalPasswords.Hash("correct horse battery staple", iterations: 1_000);
        Assert.StartsWith("PBKDF2-SHA256$1000$", hash, StringComparison.Ordinal);
        Assert.True(LocalPasswords.Verify("correct horse battery staple", hash));
        Assert.False(LocalPasswords.Verify("correct horse battery stapl", hash));
        Assert.NotEqual(hash, LocalPasswords.Hash("correct horse battery staple", iterations: 1_000));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("correct horse battery staple")]
    [InlineData("PBKDF2-SHA256$abc$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("PBKDF2-SHA256$1000$not base64$AAAAAAAAAAAAAAAAAAAAAA==")]
    [InlineData("SHA1$1000$AAAAAAAAAAA=$AAAAAAAAAAAAAAAAAAAAAA==")]
    public void What_is_not_a_hash_never_verifies(string? stored)
    {
        Assert.False(LocalPasswords.IsWellFormed(stored));
        Assert.False(LocalPasswords.Verify("correct horse battery staple", stored));
    }
}

public sealed class LocalAccountsTests
{
    private static LocalAccounts Accounts(LocalAccountsOptions options, EntraOptions? entra = null, string? environmentPassword = null) =>
        new(
            new FixedOptionsMonitor<LocalAccountsOptions>(options),
            Options.Create(entra ?? new EntraOptions()),
            new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { [LocalAccountsOptions.PasswordVariable] = environmentPassword }).Build());

    /// <summary>The local admin and a viewer, vera, both with the password "a long enough password".</summary>
    private static (LocalAccountsOptions Options, string Hash) AdminAndVera()
    {
        var hash = LocalPasswords.Hash("a long enough password", iterations: 1_000);
        return (new LocalAccountsOptions
        {
            LocalAdmin = new LocalAdminOptions { PasswordHash = hash },
            Users = new(StringComparer.OrdinalIgnoreCase) { ["vera"] = new LocalUserOptions { Role = "viewer", PasswordHash = hash } },
        }, hash);
    }

    [Fact]
    public void Nothing_configured_means_no_login_and_no_default_password()
    {
        var accounts = Accounts(new LocalAccountsOptions());
        Assert.False(accounts.Enabled);
        Assert.Null(accounts.Verify("admin", "admin"));
        Assert.Null(accounts.Verify("admin", string.Empty));
    }

    [Fact]
    public void The_environment_password_signs_in_the_local_admin()
    {
        var accounts = Accounts(new LocalAccountsOptions(), environmentPassword: "first run password");
        Assert.True(accounts.Enabled);
        Assert.Equal(("admin", SiftRoles.Admin), accounts.Verify("ADMIN", "first run password"));
        Assert.Null(accounts.Verify("admin", "first run passwor"));
    }

    [Fact]
    public void Local_users_sign_in_with_their_role_and_entra_turns_local_login_off_unless_kept()
    {
        var (options, _) = AdminAndVera();
        Assert.Equal(("vera", SiftRoles.Viewer), Accounts(options).Verify("vera", "a long enough password"));

        var entra = new EntraOptions { TenantId = "t", ClientId = "c", ClientSecret = "s" };
        var replaced = Accounts(options, entra);
        Assert.False(replaced.Enabled);
        Assert.Null(replaced.Verify("admin", "a long enough password"));

        options.LocalAdmin.KeepWithEntra = true;
        var kept = Accounts(options, entra);
        Assert.Equal(("admin", SiftRoles.Admin), kept.Verify("admin", "a long enough password"));
    }

    [Fact]
    public void A_session_is_checked_against_the_role_and_the_credential_an_account_has_now()
    {
        var (options, hash) = AdminAndVera();
        var accounts = Accounts(options);
        Assert.Equal(SiftRoles.Admin, accounts.Current("admin")?.Role);
        var vera = accounts.Current("vera");
        Assert.Equal(SiftRoles.Viewer, vera?.Role);
        Assert.Null(accounts.Current("nora"));
        Assert.DoesNotContain(hash, vera!.CredentialFingerprint, StringComparison.Ordinal);

        options.Users["vera"].PasswordHash = LocalPasswords.Hash("another long password", iterations: 1_000);
        Assert.NotEqual(vera.CredentialFingerprint, accounts.Current("vera")!.CredentialFingerprint);
        options.Users.Remove("vera");
        Assert.Null(accounts.Current("vera"));
        Assert.Null(Accounts(options, new EntraOptions { TenantId = "t", ClientId = "c", ClientSecret = "s" }).Current("admin"));
    }
}

public sealed class EntraRoleMappingTests
{
    private static readonly EntraOptions Options = new()
    {
        Groups = new(StringComparer.OrdinalIgnoreCase) { ["group-approvers"] = "approver", ["group-viewers"] = "Viewer" },
    };

    [Fact]
    public void App_roles_become_sift_roles_with_the_roles_they_include()
    {
        var identity = EntraRoleMapping.Map([new("preferred_username", "dana@contoso.example"), new("roles", "Sift.Admin"), new("roles", "Other.Role")], Options);
        var principal = new ClaimsPrincipal(identity);
        Assert.Equal("dana@contoso.example", principal.Identity!.Name);
        Assert.Equal([SiftRoles.Admin, SiftRoles.Approver, SiftRoles.Viewer], identity.FindAll(SiftRoles.RoleClaim).Select(c => c.Value));
        Assert.True(principal.IsInRole(SiftRoles.Approver));
    }

    [Fact]
    public void Mapped_groups_give_roles_and_are_kept_for_mailbox_grants()
    {
        var identity = EntraRoleMapping.Map([new("oid", "0000-1"), new("groups", "group-viewers"), new("groups", "unmapped")], Options);
        Assert.Equal("0000-1", identity.Name);
        Assert.Equal([SiftRoles.Viewer], identity.FindAll(SiftRoles.RoleClaim).Select(c => c.Value));
        Assert.Equal(["group-viewers", "unmapped"], identity.FindAll(SiftRoles.GroupClaim).Select(c => c.Value));
    }

    [Fact]
    public void No_known_role_and_no_mapped_group_means_no_role()
    {
        var identity = EntraRoleMapping.Map([new("preferred_username", "nora@contoso.example"), new("roles", "Reader"), new("groups", "unmapped")], Options);
        Assert.Empty(identity.FindAll(SiftRoles.RoleClaim));
    }

    [Fact]
    public void The_name_that_keys_mailbox_grants_never_comes_from_the_email_or_display_name_claims()
    {
        var identity = EntraRoleMapping.Map([new("email", "alice"), new("name", "alice"), new("oid", "5f0c-oid"), new("roles", "approver")], Options);
        Assert.Equal("5f0c-oid", identity.Name);
        Assert.Equal("5f0c-oid", EntraRoleMapping.Map([new("email", "alice"), new("name", "alice"), new("sub", "5f0c-oid")], Options).Name);
        Assert.Equal("dana@contoso.example", EntraRoleMapping.Map([new("preferred_username", "dana@contoso.example"), new("email", "alice"), new("oid", "x")], Options).Name);
    }
}

public sealed class MailboxAccessTests
{
    private static readonly MailboxAccess Access = new(new FixedOptionsMonitor<AccessOptions>(new AccessOptions
    {
        Mailboxes = new(StringComparer.OrdinalIgnoreCase)
        {
            ["alice"] = ["support@contoso.example"],
            ["group-sales"] = ["sales@contoso.example"],
            ["night-shift"] = [MailboxAccess.AllMailboxes],
        },
    }));

    private static ClaimsPrincipal User(string name, string role, params string[] groups)
    {
        var principal = SecurityExtensions.LocalPrincipal(name, role);
        ((ClaimsIdentity)principal.Identity!).AddClaims(groups.Select(g => new Claim(SiftRoles.GroupClaim, g)));
        return principal;
    }

    [Theory]
    [InlineData("admin", SiftRoles.Admin, "", "anything@contoso.example", true)]
    [InlineData("alice", SiftRoles.Approver, "", "Support@Contoso.example", true)]
    [InlineData("alice", SiftRoles.Approver, "", "sales@contoso.example", false)]
    [InlineData("bob", SiftRoles.Approver, "group-sales", "sales@contoso.example", true)]
    [InlineData("bob", SiftRoles.Approver, "", "sales@contoso.example", false)]
    [InlineData("night-shift", SiftRoles.Approver, "", "info@contoso.example", true)]
    [InlineData("night-shift", SiftRoles.Viewer, "", "info@contoso.example", false)]
    [InlineData("alice", SiftRoles.Viewer, "", "support@contoso.example", false)]
    public void An_approver_decides_only_granted_mailboxes(string name, string role, string group, string mailbox, bool allowed) =>
        Assert.Equal(allowed, Access.CanDecide(group.Length == 0 ? User(name, role) : User(name, role, group), mailbox));

    [Fact]
    public void A_grant_to_the_approver_role_covers_every_approver()
    {
        var access = new MailboxAccess(new FixedOptionsMonitor<AccessOptions>(new AccessOptions
        {
            Mailboxes = new(StringComparer.OrdinalIgnoreCase) { [SiftRoles.Approver] = ["info@contoso.example"] },
        }));
        Assert.True(access.CanDecide(User("anyone", SiftRoles.Approver), "info@contoso.example"));
        Assert.False(access.CanDecide(User("anyone", SiftRoles.Approver), "support@contoso.example"));
    }
}
