using System.Globalization;
using System.Text.Json;
using Sift.Classification;
using Sift.Classification.Evaluation;
using Sift.Classification.Local;
using Sift.Filtering;
using Sift.Privacy;

namespace Sift.Cli;

/// <summary>
/// <c>sift eval prefilter|pii [--data DIR] [--verbose]</c>: runs the pre-filter or the PII redaction over the public corpora
/// (default <c>../shared/data</c>) and prints their scores. <c>sift eval [intents] --data FILE.jsonl ...</c>: scores an intent
/// classifier (the local model, or the hosted LLM) on labelled JSONL. Needs no host or database.
/// </summary>
/// <remarks>The top-level usage in <see cref="SiftCommand"/> is edited on the local-model branch, not here.</remarks>
internal static class EvalCommand
{
    private const string CorpusUsage = "Usage: sift eval prefilter|pii [--data DIR] [--verbose]   (DIR defaults to ../shared/data)";

    private const string IntentsUsage = """
        Usage: sift eval [intents] --data FILE.jsonl [--model FILE | --llm] [--text-field body] [--label-field label]
                         [--where FIELD=V1,V2] [--holdout FRACTION] [--target-precision 0.98] [--unknown-label LABEL]
                         [--abstain-below T] [--limit N] [--out report.json] [--config FILE.json]
          --model FILE         the local model (default samples/models/intents.siftmodel, here or beside the executable)
          --llm                the hosted LLM configured under Sift:Classification:Llm (appsettings.json,
                               environment variables such as Sift__Classification__Llm__Provider, or --config)
          --config FILE.json   with --llm: a JSON settings file (Sift:Classification:Llm, Sift:Taxonomy) read last
          --where F=V1,V2      keep only lines whose field F is one of the values (repeatable, one per field)
          --holdout FRACTION   score only the hold-out part of this size (the split sift train leaves out)
          --target-precision   find the lowest confidence threshold whose answers reach this precision
          --unknown-label L    gold label L means "none of our intents": scored as abstention, not accuracy
          --abstain-below T    also report abstention at confidence threshold T
          --limit N            score only the first N selected lines
          --out FILE           also write the report as JSON
        """;

    private const string Usage = CorpusUsage + "\n" + IntentsUsage;

    /// <summary>Where the shipped model sits, relative to the working directory or to the executable.</summary>
    internal static readonly string DefaultModel = Path.Combine("samples", "models", "intents.siftmodel");

    public static Task<int> RunAsync(string[] args, TextWriter output, TextWriter error) =>
        RunAsync(args, output, error, loadModel: null, TimeProvider.System, CancellationToken.None);

    /// <summary>The same, with the seams tests need: <paramref name="loadModel"/> turns a model file into a predictor (null loads a <see cref="LocalIntentModel"/>).</summary>
    internal static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, Func<string, IntentPredictor>? loadModel, TimeProvider time, CancellationToken cancellationToken)
    {
        if (args.Length > 0 && (args[0] == "intents" || args[0].StartsWith("--", StringComparison.Ordinal)))
        {
            return await RunIntentsAsync(args[0] == "intents" ? args[1..] : args, output, error, loadModel, time, cancellationToken);
        }

        if (args.Length == 0 || args[0] is not ("prefilter" or "pii"))
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        var data = DefaultDataFolder();
        var verbose = false;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length)
            {
                data = args[++i];
            }
            else if (args[i] == "--verbose")
            {
                verbose = true;
            }
            else
            {
                await error.WriteLineAsync($"Unknown option '{args[i]}'. {CorpusUsage}");
                return 2;
            }
        }

        if (data is null || !Directory.Exists(data))
        {
            await error.WriteLineAsync($"No evaluation data at '{(data is null ? "../shared/data beside the repository" : Path.GetFullPath(data))}': pass --data DIR (the folder holding bounces-autoreplies-sisimai, autoreplies-helpdesk-fixtures and spam-ham-spamassassin).");
            return 2;
        }

        if (args[0] == "pii")
        {
            if (!File.Exists(Path.Combine(data, PiiEvaluation.Folder, "pii_spans.jsonl")))
            {
                await error.WriteLineAsync($"No {PiiEvaluation.Folder}/pii_spans.jsonl under '{Path.GetFullPath(data)}'.");
                return 2;
            }

            await output.WriteLineAsync($"PII redaction on {Path.GetFullPath(Path.Combine(data, PiiEvaluation.Folder))}");
            await output.WriteLineAsync();
            await output.WriteAsync(PiiEvaluation.Format(PiiEvaluation.Run(data)));
            return 0;
        }

        var outcomes = PrefilterEvaluation.Run(data, TimeProvider.System.GetUtcNow());
        if (outcomes.Count == 0)
        {
            await error.WriteLineAsync($"None of the pre-filter corpora was found under '{Path.GetFullPath(data)}'.");
            return 2;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Pre-filter on {outcomes.Count} labelled messages from {Path.GetFullPath(data)}"));
        await output.WriteLineAsync();
        await output.WriteAsync(PrefilterEvaluation.Format(PrefilterEvaluation.Tally(outcomes)));
        if (verbose)
        {
            foreach (var o in outcomes)
            {
                await output.WriteLineAsync($"{o.Corpus}\t{o.Id}\t{o.Kind}\t{o.Subset}\t{o.Verdict?.Category ?? "unparsed"}\t{o.SpamPoints:0.#}\t{o.Verdict?.Reason ?? o.ParseError}");
            }
        }

        return 0;
    }

    private static async Task<int> RunIntentsAsync(string[] args, TextWriter output, TextWriter error, Func<string, IntentPredictor>? loadModel, TimeProvider time, CancellationToken cancellationToken)
    {
        var (a, problem) = IntentsArguments.Parse(args);
        if (a is null)
        {
            await error.WriteLineAsync($"{problem}\n{IntentsUsage}");
            return 2;
        }

        if (!File.Exists(a.Data))
        {
            await error.WriteLineAsync($"No data file at '{Path.GetFullPath(a.Data)}': pass --data FILE.jsonl (one JSON object per line with '{a.TextField}' and '{a.LabelField}').");
            return 2;
        }

        if (a.Out is not null && Path.GetDirectoryName(Path.GetFullPath(a.Out)) is { } outFolder && !Directory.Exists(outFolder))
        {
            await error.WriteLineAsync($"Cannot write --out '{a.Out}': the folder '{outFolder}' does not exist.");
            return 2;
        }

        var (predictor, owned, predictorProblem) = CreatePredictor(a, loadModel);
        using (owned)
        {
            if (predictor is null)
            {
                await error.WriteLineAsync(predictorProblem);
                return 2;
            }

            IReadOnlyList<LabelledText> items;
            try
            {
                var selection = new JsonlSelection(a.Where.Count == 0 ? null : a.Where, a.Holdout ?? 0, a.Holdout is null ? null : LabelledJsonl.HoldoutPart);
                items = LabelledJsonl.Read(a.Data, a.TextField, a.LabelField, selection);
            }
            catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
            {
                await error.WriteLineAsync(ex.Message);
                return 2;
            }

            if (a.Limit is { } limit && items.Count > limit)
            {
                items = [.. items.Take(limit)];
            }

            if (items.Count == 0)
            {
                await error.WriteLineAsync($"No lines of '{Path.GetFullPath(a.Data)}' are selected{Describe(a, "")}: check --where, --holdout and the file.");
                return 2;
            }

            if (a.UnknownLabel is { } unknown && items.All(i => i.Label == unknown))
            {
                await error.WriteLineAsync($"Every selected line is out of scope ('{unknown}'): there is nothing to score accuracy on; widen --where.");
                return 2;
            }

            var progress = new ProgressBar(error, items.Count, ProgressBar.IsTerminal(error), time);
            IntentEvaluationReport report;
            try
            {
                report = await IntentEvaluation.RunAsync(items, predictor, new IntentEvaluationOptions(a.TargetPrecision, a.UnknownLabel, a.AbstainBelow), time, progress, cancellationToken);
            }
            catch (ArgumentException ex)
            {
                await error.WriteLineAsync(ex.Message);
                return 2;
            }
            finally
            {
                progress.Finish();
            }

            report = report with { Dataset = Path.GetFileName(a.Data) + Describe(a, $", {items.Count} lines") };
            await output.WriteAsync(IntentEvaluation.Format(report));
            if (a.Out is not null)
            {
                try
                {
                    await using var file = File.Create(a.Out);
                    await JsonSerializer.SerializeAsync(file, report, EvaluationJsonContext.Default.IntentEvaluationReport, cancellationToken);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    await error.WriteLineAsync($"Cannot write --out '{a.Out}': {ex.Message}");
                    return 2;
                }

                await output.WriteLineAsync($"JSON report written to {Path.GetFullPath(a.Out)}");
            }

            return 0;
        }
    }

    /// <summary>
    /// Builds the classifier under evaluation: the single place where <c>--llm</c> is plugged in. Returns what the caller
    /// must dispose after the run (the loaded model), or the reason there is no predictor.
    /// </summary>
    private static (IntentPredictor? Predictor, IDisposable? Owned, string? Problem) CreatePredictor(IntentsArguments a, Func<string, IntentPredictor>? loadModel)
    {
        if (a.Llm)
        {
            return LlmPredictor.Create(a.Config);
        }

        var path = a.Model ?? (File.Exists(DefaultModel) ? DefaultModel : Path.Combine(AppContext.BaseDirectory, DefaultModel));
        if (!File.Exists(path))
        {
            return (null, null, a.Model is null
                ? $"No model at {DefaultModel} (looked in {Directory.GetCurrentDirectory()} and {AppContext.BaseDirectory}): pass --model FILE."
                : $"No model at '{Path.GetFullPath(a.Model)}'.");
        }

        try
        {
            if (loadModel is not null)
            {
                return (loadModel(path), null, null);
            }

            var model = LocalIntentModel.Load(path);
            return (IntentPredictor.FromLocalModel(model), model, null);
        }
        catch (InvalidDataException ex)
        {
            return (null, null, $"'{Path.GetFullPath(path)}' is not a usable intent model: {ex.Message}");
        }
    }

    private static string Describe(IntentsArguments a, string count)
    {
        var parts = a.Where.Select(w => $"{w.Key}={string.Join(',', w.Value.Order(StringComparer.Ordinal))}").ToList();
        if (a.Holdout is { } holdout)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"hold-out {holdout:0.###}"));
        }

        if (a.Limit is { } limit)
        {
            parts.Add($"first {limit}");
        }

        return parts.Count == 0 && count.Length == 0 ? "" : $" ({string.Join(", ", parts)}{(parts.Count == 0 ? count.TrimStart(',', ' ') : count)})";
    }

    private sealed record IntentsArguments(
        string Data,
        string? Model,
        bool Llm,
        string TextField,
        string LabelField,
        Dictionary<string, IReadOnlySet<string>> Where,
        double? Holdout,
        double TargetPrecision,
        string? UnknownLabel,
        double? AbstainBelow,
        int? Limit,
        string? Out)
    {
        public string? Config { get; init; }

        public static (IntentsArguments? Arguments, string? Problem) Parse(string[] args)
        {
            string? data = null, model = null, unknown = null, output = null, config = null;
            string text = "body", label = "label";
            var llm = false;
            var where = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
            double? holdout = null, abstainBelow = null;
            var target = 0.98;
            int? limit = null;
            for (var i = 0; i < args.Length; i++)
            {
                var option = args[i];
                if (option == "--llm")
                {
                    llm = true;
                    continue;
                }

                if (option is not ("--data" or "--model" or "--text-field" or "--label-field" or "--where" or "--holdout" or "--target-precision" or "--unknown-label" or "--abstain-below" or "--limit" or "--out" or "--config"))
                {
                    return (null, $"Unknown option '{option}'.");
                }

                if (i + 1 >= args.Length || args[i + 1].Length == 0)
                {
                    return (null, $"Option '{option}' needs a value.");
                }

                var value = args[++i];
                switch (option)
                {
                    case "--data": data = value; break;
                    case "--model": model = value; break;
                    case "--text-field": text = value; break;
                    case "--label-field": label = value; break;
                    case "--unknown-label": unknown = value; break;
                    case "--out": output = value; break;
                    case "--config": config = value; break;
                    case "--where":
                        KeyValuePair<string, IReadOnlySet<string>> filter;
                        try
                        {
                            filter = LabelledJsonl.ParseWhere(value);
                        }
                        catch (FormatException ex)
                        {
                            return (null, $"--where: {ex.Message}");
                        }

                        if (!where.TryAdd(filter.Key, filter.Value))
                        {
                            return (null, $"--where: the field '{filter.Key}' is filtered twice; list its values once, comma-separated.");
                        }

                        break;
                    case "--holdout":
                        if (!TryFraction(value, out var h) || h is <= 0 or >= 1)
                        {
                            return (null, $"--holdout must be a fraction above 0 and below 1, not '{value}'.");
                        }

                        holdout = h;
                        break;
                    case "--target-precision":
                        if (!TryFraction(value, out target) || target is <= 0 or > 1)
                        {
                            return (null, $"--target-precision must be above 0 and at most 1, not '{value}'.");
                        }

                        break;
                    case "--abstain-below":
                        if (!TryFraction(value, out var t) || t is < 0 or > 1)
                        {
                            return (null, $"--abstain-below must be a confidence from 0 to 1, not '{value}'.");
                        }

                        abstainBelow = t;
                        break;
                    case "--limit":
                        if (!int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var n) || n < 1)
                        {
                            return (null, $"--limit must be a whole number of at least 1, not '{value}'.");
                        }

                        limit = n;
                        break;
                }
            }

            if (data is null)
            {
                return (null, "Missing --data FILE.jsonl.");
            }

            if (llm && model is not null)
            {
                return (null, "Pass --model or --llm, not both.");
            }

            if (config is not null && !llm)
            {
                return (null, "--config is read only with --llm.");
            }

            return (new IntentsArguments(data, model, llm, text, label, where, holdout, target, unknown, abstainBelow, limit, output) { Config = config }, null);
        }

        private static bool TryFraction(string value, out double result) =>
            double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out result) && double.IsFinite(result);
    }

    /// <summary>The <c>shared/data</c> folder beside the repository (found from the working directory up to the folder holding Sift.sln).</summary>
    private static string? DefaultDataFolder()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sift.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
            }
        }

        return Directory.Exists("../shared/data") ? "../shared/data" : null;
    }
}
