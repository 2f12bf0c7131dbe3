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
