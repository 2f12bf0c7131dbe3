using Sift.Cli;
using Sift.Security;
using Sift.WebConsole;

namespace Sift.Tests.Unit.WebConsole;

public sealed class SlaStateTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);

    [Theory]
    [InlineData(null, SlaState.None)]
    [InlineData(-1, SlaState.Overdue)]
    [InlineData(0, SlaState.Overdue)]
    [InlineData(30, SlaState.DueSoon)]
    [InlineData(60, SlaState.DueSoon)]
    [InlineData(61, SlaState.OnTime)]
    public void The_state_follows_the_deadline(int? minutesLeft, string expected) =>
        Assert.Equal(expected, SlaState.Of(minutesLeft is { } m ? Now.AddMinutes(m) : null, Now, TimeSpan.FromHours(1)));
}

public sealed class HashPasswordCommandTests
{
    [Fact]
    public async Task It_prints_a_hash_of_the_password_read_from_standard_input()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(0, await HashPasswordCommand.RunAsync(new StringReader("a long enough password\n"), output, error));
        var hash = output.ToString().Trim();
        Assert.True(LocalPasswords.Verify("a long enough password", hash));
        Assert.DoesNotContain("a long enough password", hash, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_short_or_missing_password_is_refused()
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        Assert.Equal(2, await HashPasswordCommand.RunAsync(new StringReader("short\n"), output, error));
        Assert.Equal(string.Empty, output.ToString());
        Assert.Contains("at least 12 characters", error.ToString(), StringComparison.Ordinal);
    }
}
