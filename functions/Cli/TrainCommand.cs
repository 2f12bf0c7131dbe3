using System.Globalization;
using Sift.Classification;
using Sift.Classification.Local;

namespace Sift.Cli;

/// <summary>
/// <c>sift train --data FILE.jsonl --out MODEL [--text-field body] [--label-field label] [--where FIELD=V1,V2] [--holdout FRACTION]</c>:
/// trains the local intent classifier on labelled JSONL and writes a <c>.siftmodel</c> file. With <c>--holdout</c> it trains
/// on the "train" part only, so <c>sift eval</c> with the same fraction measures on lines the model never saw.
/// </summary>
internal static class TrainCommand
{
    private const string Usage = "Usage: sift train --data FILE.jsonl --out MODEL [--text-field body] [--label-field label] [--where FIELD=V1,V2] [--holdout FRACTION] [--features default|practitioner]";

    /// <summary>
    /// The baseline a practitioner would pick instead, for comparison on the same data: scikit-learn's usual word 1–2-gram
    /// and in-word character 2–5-gram (<c>char_wb</c>) TF-IDF with logistic regression at C = 10 (L2 0.1 here).
    /// </summary>
    internal static readonly LocalTrainingOptions Practitioner = new(CharNgramLength: 0, CharWordMinLength: 2, CharWordMaxLength: 5, L2Regularization: 0.1f);

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error, CancellationToken ct)
    {
        string? data = null, outPath = null;
        string textField = "body", labelField = "label";
        var where = new Dictionary<string, IReadOnlySet<string>>(StringComparer.Ordinal);
        var holdout = 0.0;
        var features = new LocalTrainingOptions();
        for (var i = 0; i < args.Length; i++)
        {
            var option = args[i];
            if (option is not ("--data" or "--out" or "--text-field" or "--label-field" or "--where" or "--holdout" or "--features"))
            {
                await error.WriteLineAsync($"Unknown option '{option}'. {Usage}");
                return 2;
            }

            if (i + 1 >= args.Length || args[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                await error.WriteLineAsync($"Option '{option}' needs a value. {Usage}");
                return 2;
            }

            var value = args[++i];
            switch (option)
            {
                case "--data":
                    data = value;
                    break;
                case "--out":
                    outPath = value;
                    break;
                case "--text-field":
                    textField = value;
                    break;
                case "--label-field":
                    labelField = value;
                    break;
                case "--features":
                    if (value is not ("default" or "practitioner"))
                    {
                        await error.WriteLineAsync($"--features '{value}' must be default or practitioner.");
                        return 2;
                    }

                    features = value == "practitioner" ? Practitioner : new LocalTrainingOptions();
                    break;
                case "--where":
                    try
                    {
                        var (field, values) = LabelledJsonl.ParseWhere(value);
                        where[field] = values;
                    }
                    catch (FormatException ex)
                    {
                        await error.WriteLineAsync($"--where: {ex.Message}");
                        return 2;
                    }

                    break;
                default:
                    if (!double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out holdout) || holdout is <= 0 or >= 1)
                    {
                        await error.WriteLineAsync($"--holdout '{value}' must be a fraction above 0 and below 1 (e.g. 0.2).");
                        return 2;
                    }

                    break;
            }
        }

        if (data is null || outPath is null)
        {
            await error.WriteLineAsync($"{(data is null ? "--data" : "--out")} is required. {Usage}");
            return 2;
        }

        if (!File.Exists(data))
        {
            await error.WriteLineAsync($"No training data at '{Path.GetFullPath(data)}'.");
            return 2;
        }

        IReadOnlyList<LabelledText> examples;
        try
        {
            examples = LabelledJsonl.Read(data, textField, labelField, new JsonlSelection(where.Count == 0 ? null : where, holdout, holdout > 0 ? LabelledJsonl.TrainPart : null));
        }
        catch (Exception ex) when (ex is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync(ex.Message);
            return 2;
        }

        var labels = examples.Select(e => e.Label).Distinct(StringComparer.Ordinal).Count();
        if (labels < 2)
        {
            await error.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"'{data}' gives {examples.Count} examples with {labels} label(s) after the filters; training needs at least 2 labels."));
            return 2;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Training on {examples.Count} examples from {Path.GetFullPath(data)}{(holdout > 0 ? $" (the \"train\" part, hold-out {holdout:0.###})" : "")}"));
        TrainingReport report;
        try
        {
            report = LocalIntentTrainer.Train(examples, features, outPath, new WriterProgress(output), ct);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            await error.WriteLineAsync($"Cannot write the model to '{Path.GetFullPath(outPath)}': {ex.Message}");
            return 2;
        }

        await output.WriteAsync(Format(report));
        return 0;
    }

    internal static string Format(TrainingReport report)
    {
        var text = new System.Text.StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine();
        text.AppendLine(invariant, $"Model        {report.Path}");
        text.AppendLine(invariant, $"Version      {report.Version}");
        text.AppendLine(invariant, $"Data hash    {report.DataHash}");
        if (report.FitExamples == report.Labels.Sum(l => l.Count) && report.CalibrationExamples > 0)
        {
            text.AppendLine(invariant, $"Examples     {report.FitExamples} fit (all of them, refitted after the temperature was fitted on {report.CalibrationExamples} held out)");
        }
        else
        {
            text.AppendLine(invariant, $"Examples     {report.FitExamples} fit, {report.CalibrationExamples} calibration");
        }

        text.AppendLine(invariant, $"Temperature  {report.Temperature:0.###}");
        text.AppendLine(invariant, $"Calibration  ECE {report.CalibrationEceBefore:0.0000} before, {report.CalibrationEceAfter:0.0000} after temperature scaling (15 bins, on the calibration hold-out)");
        text.AppendLine(invariant, $"Time         {report.TrainingSeconds:0.0} s");
        text.AppendLine(invariant, $"Labels       {report.Labels.Length}");
        var width = report.Labels.Max(l => l.Label.Length);
        foreach (var label in report.Labels)
        {
            text.AppendLine(invariant, $"  {label.Label.PadRight(width)}  {label.Count,6}");
        }

        return text.ToString();
    }

    // Progress<T> would post to the thread pool and could print after the report; this writes in order.
    private sealed class WriterProgress(TextWriter output) : IProgress<string>
    {
        public void Report(string value) => output.WriteLine(value);
    }
}
