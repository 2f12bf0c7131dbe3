using Sift.Ingestion.Imap;

namespace Sift.Tests.Unit.Ingestion.Imap;

public sealed class ImapCursorTests
{
    [Theory]
    [InlineData("1795506411:0", 1795506411u, 0u)]
    [InlineData("1:42", 1u, 42u)]
    [InlineData("4294967295:4294967294", uint.MaxValue, uint.MaxValue - 1)]
    public void A_stored_cursor_reads_back_as_UIDVALIDITY_and_last_UID(string text, uint validity, uint last)
    {
        Assert.True(ImapCursor.TryParse(text, out var cursor));
        Assert.Equal(new ImapCursor(validity, last), cursor);
        Assert.Equal(text, cursor.ToString());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("42")]
    [InlineData(":42")]
    [InlineData("42:")]
    [InlineData("0:5")]
    [InlineData("-1:5")]
    [InlineData("1:-5")]
    [InlineData("1:5:6")]
    [InlineData(" 1:5")]
    [InlineData("4294967296:1")]
    [InlineData("deltaLink:https://graph")]
    public void Anything_else_is_not_a_cursor_and_the_folder_is_read_from_the_start(string? text)
    {
        Assert.False(ImapCursor.TryParse(text, out _));
    }
}

public sealed class ImapBackoffTests
{
    private static readonly TimeSpan Base = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan Cap = TimeSpan.FromMinutes(5);

    [Theory]
    [InlineData(1, 2)]
    [InlineData(2, 4)]
    [InlineData(3, 8)]
    [InlineData(6, 64)]
    [InlineData(8, 256)]
    [InlineData(9, 300)]
    [InlineData(1000, 300)]
    public void Without_jitter_the_delay_doubles_per_failure_up_to_the_cap(int failures, int seconds)
    {
        Assert.Equal(TimeSpan.FromSeconds(seconds), ImapBackoff.Delay(failures, Base, Cap, random: 0));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(4)]
    [InlineData(50)]
    public void Jitter_takes_off_at_most_a_quarter_and_never_exceeds_the_cap(int failures)
    {
        var full = ImapBackoff.Delay(failures, Base, Cap, random: 0);
        var most = ImapBackoff.Delay(failures, Base, Cap, random: 0.999999);

        Assert.InRange(most, full * 0.75, full);
        Assert.True(most < full);
        Assert.All(Enumerable.Range(0, 100).Select(_ => ImapBackoff.Delay(failures, Base, Cap, Random.Shared.NextDouble())), d => Assert.InRange(d, full * 0.75, Cap));
    }

    [Fact]
    public void A_zero_or_negative_failure_count_waits_the_base_delay()
    {
        Assert.Equal(Base, ImapBackoff.Delay(0, Base, Cap, random: 0));
    }
}

public sealed class ImapOptionsTests
{
    private static ImapAccountOptions Valid(string name = "support") => new()
    {
        Name = name,
        Host = "imap.example.com",
        Username = "support@contoso.example",
        Password = "app-password",
    };

    [Fact]
    public void A_complete_account_is_valid_and_defaults_to_INBOX_read_only_on_port_993()
    {
        var account = Valid();
        var options = new ImapOptions { Accounts = [account] };

        Assert.True(new ImapOptionsValidator().Validate(null, options).Succeeded);
        Assert.Equal("INBOX", account.Folder);
        Assert.Equal(993, account.EffectivePort);
        Assert.Equal("support@contoso.example", account.WatchedMailbox);
        Assert.False(account.WritesToMailbox);
    }

    [Fact]
    public void Missing_credentials_a_repeated_name_and_a_long_IDLE_are_refused_with_the_setting_named()
    {
        var noSecret = Valid("a");
        noSecret.Password = null;
        var longIdle = Valid("b");
        longIdle.IdleRefresh = TimeSpan.FromMinutes(30);
        var options = new ImapOptions { Accounts = [noSecret, longIdle, Valid("B")] };

        var result = new ImapOptionsValidator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Contains(result.Failures!, f => f.StartsWith("Sift:Imap:Accounts:0:", StringComparison.Ordinal) && f.Contains("Password", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Sift:Imap:Accounts:1:", StringComparison.Ordinal) && f.Contains("29 minutes", StringComparison.Ordinal));
        Assert.Contains(result.Failures!, f => f.StartsWith("Sift:Imap:Accounts:2:", StringComparison.Ordinal) && f.Contains("used twice", StringComparison.Ordinal));
    }

    [Fact]
    public void An_OAuth2_access_token_stands_in_for_the_password()
    {
        var account = Valid();
        account.Password = null;
        account.AccessToken = "ya29.token";

        Assert.True(new ImapOptionsValidator().Validate(null, new ImapOptions { Accounts = [account] }).Succeeded);
    }
}
