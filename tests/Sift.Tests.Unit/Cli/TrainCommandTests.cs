namespace Sift.Cli;

public sealed class TrainCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sift-train-").FullName;

    [Theory]
    [InlineData(new[] { "--out", "m.siftmodel" }, "--data is required")]
    [InlineData(new[] { "--data", "x.jsonl" }, "--out is required")]
    [InlineData(new[] { "--data", "/nonexistent/sift.jsonl", "--out", "m.siftmodel" }, "No training data at '/nonexistent/sift.jsonl'")]
    [InlineData(new[] { "--bogus", "1" }, "Unknown option '--bogus'")]
    [InlineData(new[] { "--data" }, "Option '--data' needs a value")]
    [InlineData(new[] { "--holdout", "1.5" }, "--holdout '1.5' must be a fraction")]
    [InlineData(new[] { "--holdout", "abc" }, "--holdout 'abc' must be a fraction")]
    [InlineData(new[] { "--where", "split" }, "--where: 'split' is not FIELD=VALUE")]
    [InlineData(new[] { "--features", "bert" }, "--features 'bert' must be default or practitioner")]
    public async Task Bad_arguments_exit_2_with_a_message_naming_the_problem(string[] args, string message)
    {
        var (code, _, error) = await Run(args);

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_text_field_exits_2_naming_the_field_and_the_line()
    {
        var data = Write("""{"id":"1","text":"hello","label":"a"}""");

        var (code, _, error) = await Run(["--data", data, "--out", Path.Combine(folder, "m.siftmodel")]);

        Assert.Equal(2, code);
        Assert.Contains($"{data}:1: no 'body' field", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_single_label_exits_2_saying_two_are_needed()
    {
        var data = Write("""{"id":"1","body":"hello","label":"a"}""", """{"id":"2","body":"hi","label":"a"}""");

        var (code, _, error) = await Run(["--data", data, "--out", Path.Combine(folder, "m.siftmodel")]);

        Assert.Equal(2, code);
        Assert.Contains("training needs at least 2 labels", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_output_path_that_is_a_folder_exits_2_and_leaves_no_temporary_file()
    {
        var data = Write("""{"id":"1","body":"what does it cost","label":"pricing"}""", """{"id":"2","body":"it is broken","label":"support"}""");
        var taken = Directory.CreateDirectory(Path.Combine(folder, "taken.siftmodel")).FullName;

        var (code, _, error) = await Run(["--data", data, "--out", taken]);

        Assert.Equal(2, code);
        Assert.Contains($"Cannot write the model to '{taken}'", error, StringComparison.Ordinal);
        Assert.False(File.Exists(taken + ".tmp"));
    }

    [Fact]
    public async Task A_where_filter_that_keeps_nothing_exits_2()
    {
        var data = Write("""{"id":"1","body":"hello","label":"a","split":"train"}""", """{"id":"2","body":"bye","label":"b","split":"train"}""");

        var (code, _, error) = await Run(["--data", data, "--out", Path.Combine(folder, "m.siftmodel"), "--where", "split=test"]);

        Assert.Equal(2, code);
        Assert.Contains("0 examples with 0 label(s)", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Training_writes_a_loadable_model_and_prints_the_report()
    {
        var outPath = Path.Combine(folder, "m.siftmodel");

        var (code, output, error) = await Run(["--data", Path.Combine(RepoPaths.Root, "samples", "training", "intents.jsonl"), "--out", outPath, "--text-field", "body", "--label-field", "label"]);

        Assert.Equal(0, code);
        Assert.Equal("", error);
        using var model = Classification.Local.LocalIntentModel.Load(outPath);
        Assert.Contains($"Version      {model.Version}", output, StringComparison.Ordinal);
        Assert.Contains("Temperature", output, StringComparison.Ordinal);
        Assert.Contains("  scheduling ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_practitioner_features_train_a_different_model_on_the_same_data()
    {
        var data = Path.Combine(RepoPaths.Root, "samples", "training", "intents.jsonl");
        var practitioner = Path.Combine(folder, "practitioner.siftmodel");

        var (code, _, error) = await Run(["--data", data, "--out", practitioner, "--features", "practitioner"]);

        Assert.True(code == 0, error);
        using var model = Classification.Local.LocalIntentModel.Load(practitioner);
        using var shipped = Classification.Local.LocalIntentModel.Load(Path.Combine(RepoPaths.Root, "samples", "models", "intents.siftmodel"));
        Assert.Equal(shipped.Labels, model.Labels);
        // Same data, other features: the probabilities differ (the versions would differ anyway, by the training time).
        string[] texts = ["Can we book a demo next Tuesday?", "How much is the Business plan per seat?", "The export fails with an error"];
        Assert.NotEqual(texts.Select(t => shipped.Predict(t).Confidence), texts.Select(t => model.Predict(t).Confidence));
    }

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private string Write(params string[] lines)
    {
        var path = Path.Combine(folder, $"data-{Guid.NewGuid():N}.jsonl");
        File.WriteAllLines(path, lines);
        return path;
    }

    private static async Task<(int Code, string Output, string Error)> Run(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await TrainCommand.RunAsync(args, output, error, TestContext.Current.CancellationToken);
        return (code, output.ToString(), error.ToString());
    }
}
