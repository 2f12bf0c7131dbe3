namespace Sift.Cli;

public sealed class SiftCommandTests
{
    [Fact]
    public void No_arguments_means_serve()
    {
        var command = SiftCommand.Parse([]);

        Assert.Equal("serve", command.Verb);
        Assert.Empty(command.HostArgs);
        Assert.Null(command.Error);
    }

    [Fact]
    public void Configuration_without_a_verb_is_passed_to_serve()
    {
        var command = SiftCommand.Parse(["--Sift:DataDirectory=/var/sift"]);

        Assert.Equal("serve", command.Verb);
        Assert.Equal(["--Sift:DataDirectory=/var/sift"], command.HostArgs);
        Assert.Null(command.Error);
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("demo")]
    [InlineData("migrate")]
    [InlineData("train")]
    public void A_verb_passes_what_follows_it_to_the_host(string verb)
    {
        var command = SiftCommand.Parse([verb, "--Sift:DataDirectory=/tmp/sift", "--X=Y"]);

        Assert.Equal(verb, command.Verb);
        Assert.Equal(["--Sift:DataDirectory=/tmp/sift", "--X=Y"], command.HostArgs);
        Assert.Null(command.Error);
    }

    [Fact]
    public void An_unknown_verb_is_an_error_that_names_it_and_shows_the_usage()
    {
        var command = SiftCommand.Parse(["frobnicate", "--X=Y"]);

        Assert.NotNull(command.Error);
        Assert.Contains("'frobnicate'", command.Error, StringComparison.Ordinal);
        Assert.Contains("Usage: sift", command.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Help_shows_the_usage()
    {
        var command = SiftCommand.Parse(["help"]);

        Assert.Equal("help", command.Verb);
        Assert.Contains("Usage: sift", command.Error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--help")]
    [InlineData("-h")]
    public void Help_flags_show_the_usage_instead_of_starting_the_server(string flag)
    {
        var command = SiftCommand.Parse([flag]);

        Assert.Equal("help", command.Verb);
        Assert.Contains("Usage: sift", command.Error, StringComparison.Ordinal);
    }
}
