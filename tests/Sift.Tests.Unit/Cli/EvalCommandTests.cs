namespace Sift.Cli;

public sealed class EvalCommandTests
{
    [Theory]
    [InlineData(new string[0], "Usage: sift eval prefilter|pii")]
    [InlineData(new[] { "classifier" }, "Usage: sift eval prefilter|pii")]
    [InlineData(new[] { "prefilter", "--bogus" }, "Unknown option '--bogus'")]
    [InlineData(new[] { "prefilter", "--data", "/nonexistent/sift-data" }, "No evaluation data at '/nonexistent/sift-data'")]
    public async Task Bad_arguments_exit_2_with_a_message_naming_the_problem(string[] args, string message)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(args, output, error);

        Assert.Equal(2, code);
        Assert.Contains(message, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_prefilter_report_lists_every_corpus_found()
    {
        if (!Directory.Exists(Path.Combine(RepoPaths.SharedData, "bounces-autoreplies-sisimai")))
        {
            Assert.Skip($"../shared/data is not present (looked in {RepoPaths.SharedData}).");
        }

        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(["prefilter", "--data", RepoPaths.SharedData], output, error);

        Assert.Equal(0, code);
        Assert.Contains("| bounces-autoreplies-sisimai | bounce | 302 |", output.ToString(), StringComparison.Ordinal);
        Assert.Contains("| spam-ham-spamassassin | ham/hard_ham |", output.ToString(), StringComparison.Ordinal);
    }
}
