using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Sift.Classification.Evaluation;

/// <summary>
/// Scores an intent classifier against gold labels: accuracy, macro-F1, per-intent scores, the most confused pairs, the
/// risk–coverage curve and the threshold for a target precision, calibration (ECE) and, given an unknown label, how well
/// the classifier abstains on out-of-scope items.
/// </summary>
public static class IntentEvaluation
{
    public const int CalibrationBins = 15;

    public const int ConfusedPairsShown = 10;

    private const int PerIntentShownAtMost = 40;

    private const int PerIntentShownWhenCut = 30;

    /// <summary>
    /// Thresholds of the compact risk–coverage table: denser near 1, where thresholds for high precision usually fall.
    /// The threshold search itself looks at every distinct confidence.
    /// </summary>
    public static ImmutableArray<double> ThresholdGrid { get; } =
        [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.75, 0.8, 0.85, 0.9, 0.925, 0.95, 0.96, 0.97, 0.98, 0.99, 0.995];

    /// <summary>Predicts every item's text with <paramref name="predictor"/> (timed for throughput) and scores the answers.</summary>
    public static async Task<IntentEvaluationReport> RunAsync(
        IReadOnlyList<LabelledText> items,
        IntentPredictor predictor,
        IntentEvaluationOptions options,
        TimeProvider time,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(predictor);
        ArgumentNullException.ThrowIfNull(time);
        var texts = items.Select(i => i.Text).ToArray();
        var started = time.GetTimestamp();
        var predictions = await predictor.PredictAsync(texts, progress, cancellationToken);
        var elapsed = time.GetElapsedTime(started);
        if (predictions.Count != items.Count)
        {
            throw new InvalidOperationException($"{predictor.Name} answered {predictions.Count} predictions for {items.Count} texts.");
        }

        return Compute(items, predictions, options, elapsed) with { Predictor = predictor.Name, PredictorVersion = predictor.Version };
    }

    /// <summary>Scores predictions (one per item, in order) against the items' gold labels.</summary>
    /// <exception cref="ArgumentException">No in-scope items, mismatched counts, or a confidence outside 0..1.</exception>
    public static IntentEvaluationReport Compute(
        IReadOnlyList<LabelledText> items,
        IReadOnlyList<IntentPrediction> predictions,
        IntentEvaluationOptions options,
        TimeSpan elapsed)
    {
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(predictions);
        ArgumentNullException.ThrowIfNull(options);
        if (items.Count != predictions.Count)
        {
            throw new ArgumentException($"{predictions.Count} predictions for {items.Count} items.", nameof(predictions));
        }

        if (options.TargetPrecision is not (> 0 and <= 1))
        {
            throw new ArgumentException("The target precision must be above 0 and at most 1.", nameof(options));
        }

        if (options.AbstainBelow is { } below && below is not (>= 0 and <= 1))
        {
            throw new ArgumentException("The abstention threshold must be from 0 to 1.", nameof(options));
        }

        var unknown = options.UnknownLabel;
        var inScope = new List<Scored>();
        var outOfScope = new List<Scored>();
        for (var i = 0; i < items.Count; i++)
        {
            var confidence = predictions[i].Confidence;
            if (double.IsNaN(confidence) || confidence is < 0 or > 1)
            {
                throw new ArgumentException($"Prediction {i} has confidence {confidence.ToString(CultureInfo.InvariantCulture)}, outside 0..1.", nameof(predictions));
            }

            var scored = new Scored(items[i].Label, predictions[i].Intent, confidence, unknown is not null && predictions[i].Intent == unknown);
            (unknown is not null && items[i].Label == unknown ? outOfScope : inScope).Add(scored);
        }

        if (inScope.Count == 0)
        {
            throw new ArgumentException(unknown is null ? "No items to score." : $"Every item is out of scope ('{unknown}'): there is nothing to score accuracy on.", nameof(items));
        }

        var perIntent = PerIntent(inScope, unknown);
        var curve = Curve(inScope);
        var target = FindTarget(curve, inScope.Count, options.TargetPrecision);
        var reliability = Reliability(inScope);
        var grid = ThresholdGrid.ToList();
        if (target.Threshold is { } chosen && !grid.Contains(chosen))
        {
            grid.Add(chosen);
            grid.Sort();
        }

        var notes = ImmutableArray.CreateBuilder<string>();
        notes.Add(unknown is null
            ? "Every item is in scope (no unknown label given)."
            : $"{outOfScope.Count} items with gold label '{unknown}' are out of scope: they are left out of accuracy, F1, confused pairs, risk–coverage and calibration, and scored only under abstention. An answer '{unknown}' counts as an abstention.");
        notes.Add("Per-intent precision and recall count in-scope items only; a class never predicted has precision 0, a predicted class absent from the gold labels has recall 0, and both count in macro-F1.");
        notes.Add($"Risk–coverage keeps an answer when its confidence is at least the threshold{(unknown is null ? "" : $" and it is not '{unknown}'")}; coverage is kept answers over all in-scope items.");
        if (!target.Reached)
        {
            notes.Add(string.Create(CultureInfo.InvariantCulture, $"No threshold reaches the target precision {options.TargetPrecision:0.###}; abstention is reported only at --abstain-below when given."));
        }

        return new IntentEvaluationReport(
            Items: items.Count,
            InScopeItems: inScope.Count,
            OutOfScopeItems: outOfScope.Count,
            UnknownLabel: unknown,
            Accuracy: (double)inScope.Count(s => s.Correct) / inScope.Count,
            MacroF1: perIntent.Average(m => m.F1),
            PerIntent: perIntent,
            MostConfused: [.. inScope.Where(s => !s.Correct)
                .GroupBy(s => (s.Gold, s.Predicted))
                .Select(g => new ConfusedPair(g.Key.Gold, g.Key.Predicted, g.Count()))
                .OrderByDescending(p => p.Count).ThenBy(p => p.Gold, StringComparer.Ordinal).ThenBy(p => p.Predicted, StringComparer.Ordinal)
                .Take(ConfusedPairsShown)],
            RiskCoverage: [.. grid.Select(t => PointAt(t, inScope, outOfScope))],
            PrecisionTarget: target,
            ExpectedCalibrationError: reliability.Sum(b => (double)b.Count / inScope.Count * b.Gap),
            Reliability: reliability,
            Throughput: new Throughput(items.Count, elapsed.TotalSeconds, elapsed > TimeSpan.Zero ? items.Count / elapsed.TotalSeconds : null),
            Abstention: unknown is null && options.AbstainBelow is null ? null : Abstention(inScope, outOfScope, options, target),
            Notes: notes.ToImmutable());
    }

    private static ImmutableArray<IntentMetrics> PerIntent(List<Scored> inScope, string? unknown)
    {
        // The unknown label is an abstention, not a class: it is not scored as an intent even when predicted.
        var labels = inScope.Select(s => s.Gold).Concat(inScope.Where(s => !s.SaidUnknown).Select(s => s.Predicted)).Distinct(StringComparer.Ordinal);
        return [.. labels.Where(l => l != unknown).Select(label =>
        {
            var support = inScope.Count(s => s.Gold == label);
            var predicted = inScope.Count(s => s.Predicted == label);
            var correct = inScope.Count(s => s.Gold == label && s.Predicted == label);
            var precision = predicted == 0 ? 0 : (double)correct / predicted;
            var recall = support == 0 ? 0 : (double)correct / support;
            var f1 = precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall);
            return new IntentMetrics(label, support, predicted, correct, precision, recall, f1);
        }).OrderBy(m => m.Intent, StringComparer.Ordinal)];
    }

    /// <summary>
    /// The answerable in-scope items by falling confidence, cut at each distinct confidence: keeping every answer at or
    /// above it gives this many kept and this many right.
    /// </summary>
    private static List<(double Threshold, int Kept, int Correct)> Curve(List<Scored> inScope)
    {
        var answered = inScope.Where(s => !s.SaidUnknown).OrderByDescending(s => s.Confidence).ToList();
        var cuts = new List<(double, int, int)>();
        var correct = 0;
        for (var i = 0; i < answered.Count; i++)
        {
            correct += answered[i].Correct ? 1 : 0;
            if (i == answered.Count - 1 || answered[i + 1].Confidence < answered[i].Confidence)
            {
                cuts.Add((answered[i].Confidence, i + 1, correct));
            }
        }

        return cuts;
    }

    private static PrecisionTarget FindTarget(List<(double Threshold, int Kept, int Correct)> curve, int inScope, double target)
    {
        if (curve.Count == 0)
        {
            return new PrecisionTarget(target, false, null, null, null, null, null, null);
        }

        // Precision is not monotonic in the threshold, so every cut is checked; the lowest qualifying one keeps the most.
        // The tolerance absorbs rounding in correct/kept against a decimal target such as 0.98.
        var reaching = curve.Where(c => (double)c.Correct / c.Kept >= target - 1e-12).ToList();
        var best = curve.OrderByDescending(c => (double)c.Correct / c.Kept).ThenBy(c => c.Threshold).First();
        double? bestPrecision = (double)best.Correct / best.Kept;
        if (reaching.Count == 0)
        {
            return new PrecisionTarget(target, false, null, null, null, bestPrecision, best.Threshold, (double)best.Kept / inScope);
        }

        var lowest = reaching.MinBy(c => c.Threshold);
        return new PrecisionTarget(target, true, lowest.Threshold, (double)lowest.Kept / inScope, (double)lowest.Correct / lowest.Kept, bestPrecision, best.Threshold, (double)best.Kept / inScope);
    }

    private static RiskCoveragePoint PointAt(double threshold, List<Scored> inScope, List<Scored> outOfScope)
    {
        var kept = inScope.Count(s => s.KeptAt(threshold));
        var correct = inScope.Count(s => s.KeptAt(threshold) && s.Correct);
        return new RiskCoveragePoint(
            threshold,
            kept,
            (double)kept / inScope.Count,
            kept == 0 ? null : (double)correct / kept,
            outOfScope.Count == 0 ? null : (double)outOfScope.Count(s => s.KeptAt(threshold)) / outOfScope.Count);
    }

    private static ImmutableArray<ReliabilityBin> Reliability(List<Scored> inScope)
    {
        // Bins are (lower, upper]: the usual definition (Guo et al., 2017), with a confidence of exactly 0 in the first bin.
        return [.. inScope
            .GroupBy(s => Math.Clamp((int)Math.Ceiling(s.Confidence * CalibrationBins) - 1, 0, CalibrationBins - 1))
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var confidence = g.Average(s => s.Confidence);
                var accuracy = (double)g.Count(s => s.Correct) / g.Count();
                return new ReliabilityBin((double)g.Key / CalibrationBins, (double)(g.Key + 1) / CalibrationBins, g.Count(), confidence, accuracy, Math.Abs(accuracy - confidence));
            })];
    }

    private static AbstentionReport Abstention(List<Scored> inScope, List<Scored> outOfScope, IntentEvaluationOptions options, PrecisionTarget target)
    {
        var at = ImmutableArray.CreateBuilder<AbstentionAt>();
        if (target.Threshold is { } chosen)
        {
            at.Add(AbstentionAtThreshold(string.Create(CultureInfo.InvariantCulture, $"precision ≥ {options.TargetPrecision:0.###}"), chosen, inScope, outOfScope));
        }

        if (options.AbstainBelow is { } below)
        {
            at.Add(AbstentionAtThreshold("--abstain-below", below, inScope, outOfScope));
        }

        return new AbstentionReport(
            options.UnknownLabel,
            inScope.Count == 0 ? null : inScope.Average(s => s.Confidence),
            outOfScope.Count == 0 ? null : outOfScope.Average(s => s.Confidence),
            at.ToImmutable());
    }

    private static AbstentionAt AbstentionAtThreshold(string basis, double threshold, List<Scored> inScope, List<Scored> outOfScope)
    {
        static double? Share(int count, int of) => of == 0 ? null : (double)count / of;
        var oosAbstained = outOfScope.Count(s => !s.KeptAt(threshold));
        var abstained = inScope.Count(s => !s.KeptAt(threshold));
        var correct = inScope.Count(s => s.KeptAt(threshold) && s.Correct);
        return new AbstentionAt(
            basis,
            threshold,
            outOfScope.Count,
            oosAbstained,
            Share(oosAbstained, outOfScope.Count),
            inScope.Count,
            abstained,
            Share(abstained, inScope.Count),
            correct,
            Share(correct, inScope.Count),
            Share(correct, inScope.Count - abstained));
    }

    /// <summary>The report as Markdown tables, for the terminal and for pasting into the README.</summary>
    public static string Format(IntentEvaluationReport report)
    {
        ArgumentNullException.ThrowIfNull(report);
        var sb = new StringBuilder();
        var inv = CultureInfo.InvariantCulture;
        sb.AppendLine(inv, $"Intent evaluation: {report.Predictor} {report.PredictorVersion} on {report.Dataset ?? "the given items"}");
        sb.AppendLine(inv, $"{report.Items} items: {report.InScopeItems} in scope{(report.UnknownLabel is null ? "" : $", {report.OutOfScopeItems} out of scope ('{report.UnknownLabel}')")}");
        sb.AppendLine();
        sb.AppendLine("| accuracy | macro-F1 | ECE (15 bins) | throughput |");
        sb.AppendLine("|---:|---:|---:|---:|");
        var t = report.Throughput;
        sb.AppendLine(inv, $"| {Pct(report.Accuracy)} | {report.MacroF1:0.000} | {report.ExpectedCalibrationError:0.000} | {(t.MessagesPerSecond is { } rate ? rate.ToString(rate >= 100 ? "#,0" : "0.0", inv) + " msg/s" : "–")} ({t.Messages} in {t.Seconds:0.00} s) |");
        sb.AppendLine();

        var p = report.PrecisionTarget;
        sb.AppendLine(inv, $"## Confidence threshold for {Pct(p.Target)} precision");
        sb.AppendLine();
        sb.AppendLine(p.Reached
            ? string.Create(inv, $"Lowest threshold reaching it: {p.Threshold:0.####}, keeping {Pct(p.Coverage)} of in-scope items at {Pct(p.Precision)} precision.")
            : p.BestPrecision is null
                ? "Unreachable: no in-scope item was answered with an intent."
                : string.Create(inv, $"Unreachable: the best precision is {Pct(p.BestPrecision)}, at threshold {p.BestPrecisionThreshold:0.####} (coverage {Pct(p.BestPrecisionCoverage)})."));
        sb.AppendLine();

        sb.AppendLine("## Risk–coverage (in-scope items)");
        sb.AppendLine();
        var oos = report.UnknownLabel is not null;
        sb.AppendLine(oos ? "| threshold | kept | coverage | precision | risk | out-of-scope answered |" : "| threshold | kept | coverage | precision | risk |");
        sb.AppendLine(oos ? "|---:|---:|---:|---:|---:|---:|" : "|---:|---:|---:|---:|---:|");
        foreach (var point in report.RiskCoverage)
        {
            var mark = point.Threshold == p.Threshold ? " ←" : "";
            sb.Append(inv, $"| {point.Threshold:0.####}{mark} | {point.Kept} | {Pct(point.Coverage)} | {Pct(point.Precision)} | {Pct(1 - point.Precision)} |");
            sb.AppendLine(oos ? $" {Pct(point.OutOfScopeAnswered)} |" : "");
        }

        sb.AppendLine();
        if (report.Abstention is { } a)
        {
            sb.AppendLine("## Abstention (confidence below the threshold" + (a.UnknownLabel is null ? "" : $" or answer '{a.UnknownLabel}'") + " → unknown)");
            sb.AppendLine();
            sb.AppendLine(inv, $"Mean confidence: in scope {Num(a.MeanConfidenceInScope)}, out of scope {Num(a.MeanConfidenceOutOfScope)}.");
            sb.AppendLine();
            if (a.AtThresholds.Length > 0)
            {
                sb.AppendLine("| basis | threshold | out-of-scope abstained | in-scope wrongly abstained | in-scope accuracy | precision of answers |");
                sb.AppendLine("|---|---:|---:|---:|---:|---:|");
                foreach (var x in a.AtThresholds)
                {
                    sb.AppendLine(inv, $"| {x.Basis} | {x.Threshold:0.####} | {Pct(x.OutOfScopeAbstainedShare)} ({x.OutOfScopeAbstained}/{x.OutOfScope}) | {Pct(x.InScopeAbstainedShare)} ({x.InScopeAbstained}/{x.InScope}) | {Pct(x.InScopeAccuracy)} | {Pct(x.InScopeAnsweredPrecision)} |");
                }

                sb.AppendLine();
            }
        }

        sb.AppendLine("## Most confused (gold → predicted)");
        sb.AppendLine();
        sb.AppendLine("| gold | predicted | count |");
        sb.AppendLine("|---|---|---:|");
        foreach (var pair in report.MostConfused)
        {
            sb.AppendLine(inv, $"| {pair.Gold} | {pair.Predicted} | {pair.Count} |");
        }

        sb.AppendLine();
        // A 150-intent table drowns the rest of the report; the worst rows are the ones to act on.
        var shown = report.PerIntent.Length > PerIntentShownAtMost ? PerIntentShownWhenCut : report.PerIntent.Length;
        sb.AppendLine("## Per intent (worst F1 first)");
        sb.AppendLine();
        sb.AppendLine("| intent | support | predicted | precision | recall | F1 |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|");
        foreach (var m in report.PerIntent.OrderBy(m => m.F1).ThenBy(m => m.Intent, StringComparer.Ordinal).Take(shown))
        {
            sb.AppendLine(inv, $"| {m.Intent} | {m.Support} | {m.Predicted} | {Pct(m.Precision)} | {Pct(m.Recall)} | {m.F1:0.000} |");
        }

        if (shown < report.PerIntent.Length)
        {
            sb.AppendLine(inv, $"| … {report.PerIntent.Length - shown} more intents with a higher F1 (all of them in the JSON report: --out FILE) | | | | | |");
        }

        sb.AppendLine();
        sb.AppendLine("## Reliability (15 equal-width confidence bins)");
        sb.AppendLine();
        sb.AppendLine("| confidence | items | mean confidence | accuracy | gap |");
        sb.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var b in report.Reliability)
        {
            sb.AppendLine(inv, $"| {b.Lower:0.000}–{b.Upper:0.000} | {b.Count} | {b.MeanConfidence:0.000} | {Pct(b.Accuracy)} | {b.Gap:0.000} |");
        }

        sb.AppendLine();
        foreach (var note in report.Notes)
        {
            sb.AppendLine(inv, $"Note: {note}");
        }

        return sb.ToString();
    }

    // "P1" would print "66.7 %" in the invariant culture.
    private static string Pct(double? value) => value is { } v ? (v * 100).ToString("0.0", CultureInfo.InvariantCulture) + "%" : "–";

    private static string Num(double? value) => value is { } v ? v.ToString("0.000", CultureInfo.InvariantCulture) : "–";

    private sealed record Scored(string Gold, string Predicted, double Confidence, bool SaidUnknown)
    {
        public bool Correct => Predicted == Gold;

        public bool KeptAt(double threshold) => !SaidUnknown && Confidence >= threshold;
    }
}
