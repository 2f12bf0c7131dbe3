using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Sift.Classification;
using Sift.Classification.Evaluation;

namespace Sift.Cli;

public sealed class EvalCommandIntentsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sift-eval-").FullName;
    private readonly string _data;
    private readonly string _model;

    public EvalCommandIntentsTests()
    {
        // The fake time never moves, so the run takes 0 s. Each body says what the fake model answers ("intent confidence"), so the expected scores follow from the file.
        _data = Path.Combine(_folder, "intents.jsonl");
        File.WriteAllLines(_data,
        [
            """{"id": "1", "split": "test", "body": "a 0.9", "label": "a"}""",
            """{"id": "2", "split": "test", "body": "a 0.4", "label": "a"}""",
            """{"id": "3", "split": "test", "body": "b 0.8", "label": "b"}""",
            """{"id": "4", "split": "test", "body": "oos 0.95", "label": "b"}""",
            """{"id": "5", "split": "oos_test", "body": "a 0.3", "label": "oos"}""",
            """{"id": "6", "split": "oos_test", "body": "b 0.85", "label": "oos"}""",
            """{"id": "7", "split": "oos_test", "body": "oos 0.99", "label": "oos"}""",
            """{"id": "8", "split": "train", "body": "b 0.99", "label": "a"}""",
        ]);
        _model = Path.Combine(_folder, "fake.siftmodel");
        File.WriteAllText(_model, "fake");
    }

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Theory]
    [InlineData(new[] { "intents" }, "Missing --data FILE.jsonl.")]
    [InlineData(new[] { "--data" }, "Option '--data' needs a value.")]
    [InlineData(new[] { "--data", "DATA", "--bogus" }, "Unknown option '--bogus'.")]
    [InlineData(new[] { "intents", "--data", "DATA", "--holdout", "1.5" }, "--holdout must be a fraction above 0 and below 1, not '1.5'.")]
    [InlineData(new[] { "--data", "DATA", "--holdout", "0" }, "--holdout must be a fraction above 0 and below 1, not '0'.")]
    [InlineData(new[] { "--data", "DATA", "--target-precision", "high" }, "--target-precision must be above 0 and at most 1, not 'high'.")]
    [InlineData(new[] { "--data", "DATA", "--abstain-below", "2" }, "--abstain-below must be a confidence from 0 to 1, not '2'.")]
    [InlineData(new[] { "--data", "DATA", "--limit", "0" }, "--limit must be a whole number of at least 1, not '0'.")]
    [InlineData(new[] { "--data", "DATA", "--limit", "ten" }, "--limit must be a whole number of at least 1, not 'ten'.")]
    [InlineData(new[] { "--data", "DATA", "--where", "split" }, "--where: 'split' is not FIELD=VALUE[,VALUE...].")]
    [InlineData(new[] { "--data", "DATA", "--where", "split=a", "--where", "split=b" }, "--where: the field 'split' is filtered twice")]
    [InlineData(new[] { "--data", "DATA", "--llm", "--model", "MODEL" }, "Pass --model or --llm, not both.")]
    [InlineData(new[] { "--data", "/nonexistent/sift.jsonl" }, "No data file at '/nonexistent/sift.jsonl'")]
    [InlineData(new[] { "--data", "DATA", "--model", "/nonexistent/x.siftmodel" }, "No model at '/nonexistent/x.siftmodel'.")]
    [InlineData(new[] { "--data", "DATA", "--llm" }, "no LLM configured: set Sift:Classification:Llm:Provider")]
    [InlineData(new[] { "--data", "DATA", "--model", "MODEL", "--where", "split=nope" }, "No lines of ")]
    [InlineData(new[] { "--data", "DATA", "--model", "MODEL", "--text-field", "subject" }, "no 'subject' field")]
    [InlineData(new[] { "--data", "DATA", "--model", "MODEL", "--out", "/nonexistent/report.json" }, "Cannot write --out '/nonexistent/report.json': the folder '/nonexistent' does not exist.")]
    [InlineData(new[] { "--data", "DATA", "--model", "MODEL", "--where", "split=oos_test", "--unknown-label", "oos" }, "Every selected line is out of scope ('oos')")]
    public async Task Bad_arguments_exit_2_with_a_message_naming_the_problem(string[] args, string message)
    {
        var (code, _, error) = await RunAsync(args);

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_model_file_the_local_model_cannot_load_exits_2()
    {
        // The real loader (InvalidDataException on a file that is not a model); the stub on this branch rejects every file.
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(["--data", _data, "--model", _model], output, error);

        Assert.Equal(2, code);
        Assert.Contains($"'{_model}' is not a usable intent model", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_report_scores_the_selected_lines_and_the_JSON_parses_back_to_the_same_numbers()
    {
        var json = Path.Combine(_folder, "report.json");

        var (code, output, _) = await RunAsync(["--data", "DATA", "--model", "MODEL", "--where", "split=test,oos_test", "--unknown-label", "oos", "--abstain-below", "0.5", "--out", json]);

        Assert.Equal(0, code);
        Assert.Contains("Intent evaluation: fake 1.0 on intents.jsonl (split=oos_test,test, 7 lines)", output, StringComparison.Ordinal);
        Assert.Contains("7 items: 4 in scope, 3 out of scope ('oos')", output, StringComparison.Ordinal);
        Assert.Contains("| 75.0% | 0.833 |", output, StringComparison.Ordinal);
        Assert.Contains("| --abstain-below | 0.5 | 66.7% (2/3) | 50.0% (2/4) | 50.0% | 100.0% |", output, StringComparison.Ordinal);
        Assert.Contains($"JSON report written to {json}", output, StringComparison.Ordinal);

        var back = JsonSerializer.Deserialize(await File.ReadAllTextAsync(json, TestContext.Current.CancellationToken), EvaluationJsonContext.Default.IntentEvaluationReport)!;
        var items = LabelledJsonl.Read(_data, selection: new JsonlSelection(new Dictionary<string, IReadOnlySet<string>> { ["split"] = new HashSet<string> { "test", "oos_test" } }));
        var expected = IntentEvaluation.Compute(items, [.. items.Select(i => Fake(i.Text))], new IntentEvaluationOptions(0.98, "oos", 0.5), TimeSpan.Zero)
            with { Predictor = "fake", PredictorVersion = "1.0", Dataset = "intents.jsonl (split=oos_test,test, 7 lines)" };
        Sift.Classification.Evaluation.IntentEvaluationTests.AssertSameNumbers(expected, back);
        Assert.Equal(0.75, back.Accuracy);
    }

    [Fact]
    public async Task Intents_is_an_alias_and_limit_keeps_the_first_lines()
    {
        var (code, output, _) = await RunAsync(["intents", "--data", "DATA", "--model", "MODEL", "--limit", "3"]);

        Assert.Equal(0, code);
        Assert.Contains("(first 3, 3 lines)", output, StringComparison.Ordinal);
        Assert.Contains("3 items: 3 in scope", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Holdout_scores_only_the_lines_the_split_sets_apart()
    {
        var expected = Enumerable.Range(1, 8).Count(id => LabelledJsonl.IsHoldout(id.ToString(CultureInfo.InvariantCulture), 0.5));

        var (code, output, _) = await RunAsync(["--data", "DATA", "--model", "MODEL", "--holdout", "0.5"]);

        Assert.InRange(expected, 1, 7); // the ids above are chosen so that both parts are non-empty
        Assert.Equal(0, code);
        Assert.Contains($"(hold-out 0.5, {expected} lines)", output, StringComparison.Ordinal);
        Assert.Contains($"{expected} items: {expected} in scope", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Prefilter_and_pii_usage_stays_and_the_intents_usage_is_added()
    {
        var (code, _, error) = await RunAsync([]);

        Assert.Equal(2, code);
        Assert.Contains("Usage: sift eval prefilter|pii", error, StringComparison.Ordinal);
        Assert.Contains("Usage: sift eval [intents] --data FILE.jsonl [--model FILE | --llm]", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Progress_redirected_to_a_file_is_a_plain_line_every_few_seconds()
    {
        var time = new FakeTimeProvider();
        using var error = new StringWriter();
        var progress = new ProgressBar(error, 100, inPlace: false, time);

        progress.Report(10);
        time.Advance(TimeSpan.FromSeconds(5));
        progress.Report(50);
        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(60);
        progress.Finish();

        Assert.Equal($"50/100 (50%) 10/s{Environment.NewLine}", error.ToString());
    }

    [Fact]
    public void Progress_on_a_terminal_is_redrawn_in_place_and_ends_its_line()
    {
        var time = new FakeTimeProvider();
        using var error = new StringWriter();
        var progress = new ProgressBar(error, 4, inPlace: true, time);

        progress.Report(1);
        progress.Report(2); // within 100 ms of the last redraw: skipped
        time.Advance(TimeSpan.FromSeconds(1));
        progress.Report(4);
        progress.Finish();

        Assert.Equal(
            $"\r[#######.......................] 1/4  25%    \r[##############################] 4/4 100% 4/s   {Environment.NewLine}",
            error.ToString());
    }

    [Fact]
    public async Task Eval_with_the_shipped_model_scores_the_clinc150_validation_split()
    {
        var model = Path.Combine(RepoPaths.Root, "samples", "models", "intents.siftmodel");
        var data = Path.Combine(RepoPaths.SharedData, "intent-clinc150", "clinc150.jsonl");
        if (!File.Exists(model) || !File.Exists(data))
        {
            Assert.Skip($"Needs the shipped model ({model}) and the CLINC150 corpus ({data}).");
        }

        var json = Path.Combine(_folder, "clinc150.json");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(["--data", data, "--model", model, "--where", "split=val,oos_val", "--unknown-label", "oos", "--out", json], output, error);

        Assert.True(code == 0, error.ToString());
        var report = JsonSerializer.Deserialize(await File.ReadAllTextAsync(json, TestContext.Current.CancellationToken), EvaluationJsonContext.Default.IntentEvaluationReport)!;
        Assert.Equal((3100, 3000, 100), (report.Items, report.InScopeItems, report.OutOfScopeItems));
        Assert.Equal("local", report.Predictor);
        Assert.Contains("Intent evaluation: local", output.ToString(), StringComparison.Ordinal);
    }

    private async Task<(int Code, string Output, string Error)> RunAsync(string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var resolved = args.Select(a => a switch { "DATA" => _data, "MODEL" => _model, _ => a }).ToArray();

        var code = await EvalCommand.RunAsync(resolved, output, error, FakeModel, new FakeTimeProvider(), TestContext.Current.CancellationToken);

        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The "model" answers what each text says: its first word at the confidence that follows.</summary>
    private static IntentPredictor FakeModel(string path) =>
        new("fake", "1.0", (texts, progress, ct) => Task.FromResult(IntentPredictor.InSlices(texts, 2, batch => [.. batch.Select(Fake)], progress, ct)));

    private static IntentPrediction Fake(string text)
    {
        var parts = text.Split(' ');
        return new IntentPrediction(parts[0], double.Parse(parts[1], CultureInfo.InvariantCulture), []);
    }
}
