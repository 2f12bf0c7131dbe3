using System.Text.Json;
using Microsoft.Extensions.Time.Testing;

namespace Sift.Classification.Evaluation;

public sealed class IntentEvaluationTests
{
    private const double Tolerance = 1e-9;

    [Fact]
    public void Accuracy_and_macro_F1_count_a_class_that_is_never_predicted_as_F1_zero()
    {
        // Gold a a b b c, predicted a b b b a: a has P 1/2 R 1/2, b has P 2/3 R 1 (F1 0.8), c is never predicted.
        var report = Evaluate([("a", "a", 0.9), ("a", "b", 0.9), ("b", "b", 0.9), ("b", "b", 0.9), ("c", "a", 0.9)]);

        Assert.Equal(0.6, report.Accuracy, Tolerance);
        Assert.Equal((0.5 + 0.8 + 0) / 3, report.MacroF1, Tolerance);
        Assert.Equal(
            [
                new IntentMetrics("a", 2, 2, 1, 0.5, 0.5, 0.5),
                new IntentMetrics("b", 2, 3, 2, 2.0 / 3, 1, 0.8),
                new IntentMetrics("c", 1, 0, 0, 0, 0, 0),
            ],
            report.PerIntent.AsEnumerable(),
            new MetricsComparer());
    }

    [Fact]
    public void A_predicted_class_absent_from_the_gold_labels_has_recall_zero_and_lowers_macro_F1()
    {
        var report = Evaluate([("a", "a", 0.9), ("a", "z", 0.9)]);

        var z = Assert.Single(report.PerIntent, m => m.Intent == "z");
        Assert.Equal((0, 1, 0, 0.0, 0.0, 0.0), (z.Support, z.Predicted, z.Correct, z.Precision, z.Recall, z.F1));
        Assert.Equal((2.0 / 3 + 0) / 2, report.MacroF1, Tolerance);
    }

    [Fact]
    public void Expected_calibration_error_weights_each_bins_gap_by_its_share_of_items()
    {
        // Bin (14/15, 1]: 0.94 0.96 0.99, two right: |2/3 - 0.963333| = 0.296667, weight 3/5.
        // Bin (8/15, 9/15]: 0.55 0.59, one right: |1/2 - 0.57| = 0.07, weight 2/5. ECE = 0.178 + 0.028.
        var report = Evaluate([("a", "a", 0.94), ("a", "a", 0.96), ("a", "b", 0.99), ("b", "b", 0.55), ("b", "a", 0.59)]);

        Assert.Equal(0.206, report.ExpectedCalibrationError, Tolerance);
        Assert.Collection(
            report.Reliability,
            bin =>
            {
                Assert.Equal((8.0 / 15, 9.0 / 15, 2), (bin.Lower, bin.Upper, bin.Count));
                Assert.Equal(0.57, bin.MeanConfidence, Tolerance);
                Assert.Equal(0.5, bin.Accuracy, Tolerance);
                Assert.Equal(0.07, bin.Gap, Tolerance);
            },
            bin =>
            {
                Assert.Equal((14.0 / 15, 1.0, 3), (bin.Lower, bin.Upper, bin.Count));
                Assert.Equal(2.0 / 3, bin.Accuracy, Tolerance);
                Assert.Equal(0.963333333333, bin.MeanConfidence, 1e-9);
            });
    }

    [Theory]
    [InlineData(0.98, 0.90, 3.0 / 8, 1.0)]
    [InlineData(0.8, 0.70, 5.0 / 8, 0.8)] // 0.80 keeps 3 of 4 right (0.75), yet the lower 0.70 reaches 4 of 5
    [InlineData(0.7, 0.50, 7.0 / 8, 5.0 / 7)]
    [InlineData(0.6, 0.40, 1.0, 5.0 / 8)]
    public void The_threshold_for_a_target_precision_is_the_lowest_confidence_whose_kept_answers_reach_it(double target, double threshold, double coverage, double precision)
    {
        var report = Evaluate(Ladder, new IntentEvaluationOptions(TargetPrecision: target));

        var p = report.PrecisionTarget;
        Assert.True(p.Reached);
        Assert.Equal(threshold, p.Threshold!.Value);
        Assert.Equal(coverage, p.Coverage!.Value, Tolerance);
        Assert.Equal(precision, p.Precision!.Value, Tolerance);
    }

    [Fact]
    public void An_unreachable_target_precision_reports_the_best_precision_instead()
    {
        var report = Evaluate([("a", "b", 0.9), ("a", "a", 0.8), ("b", "b", 0.7)]);

        Assert.Equal(new PrecisionTarget(0.98, false, null, null, null, 2.0 / 3, 0.7, 1.0), report.PrecisionTarget);
        Assert.Contains(report.Notes, n => n.Contains("No threshold reaches the target precision 0.98", StringComparison.Ordinal));
        Assert.Contains("Unreachable: the best precision is 66.7%, at threshold 0.7 (coverage 100.0%).", IntentEvaluation.Format(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Risk_coverage_keeps_answers_at_or_above_each_threshold()
    {
        var report = Evaluate(Ladder);

        Assert.Equal(IntentEvaluation.ThresholdGrid.AsEnumerable(), report.RiskCoverage.Select(p => p.Threshold));
        Assert.Equal(new RiskCoveragePoint(0, 8, 1, 5.0 / 8, null), report.RiskCoverage.Single(p => p.Threshold == 0));
        Assert.Equal(new RiskCoveragePoint(0.5, 7, 7.0 / 8, 5.0 / 7, null), report.RiskCoverage.Single(p => p.Threshold == 0.5));
        Assert.Equal(new RiskCoveragePoint(0.9, 3, 3.0 / 8, 1, null), report.RiskCoverage.Single(p => p.Threshold == 0.9));
        Assert.Equal(new RiskCoveragePoint(0.995, 0, 0, null, null), report.RiskCoverage.Single(p => p.Threshold == 0.995));
    }

    [Fact]
    public void A_threshold_found_between_grid_points_is_added_to_the_risk_coverage_table()
    {
        var report = Evaluate([("a", "a", 0.93), ("a", "b", 0.5)]);

        Assert.Equal(0.93, report.PrecisionTarget.Threshold!.Value);
        Assert.Contains(report.RiskCoverage, p => p.Threshold == 0.93 && p.Kept == 1);
        Assert.Contains("| 0.93 ← | 1 | 50.0% | 100.0% | 0.0% |", IntentEvaluation.Format(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Out_of_scope_items_are_scored_only_as_abstentions_at_the_found_and_the_given_thresholds()
    {
        var report = Evaluate(
            [
                ("a", "a", 0.9), ("a", "a", 0.4), ("b", "b", 0.8), ("b", "oos", 0.95),
                ("oos", "a", 0.3), ("oos", "b", 0.85), ("oos", "oos", 0.99),
            ],
            new IntentEvaluationOptions(UnknownLabel: "oos", AbstainBelow: 0.5));

        Assert.Equal((7, 4, 3), (report.Items, report.InScopeItems, report.OutOfScopeItems));
        Assert.Equal(0.75, report.Accuracy, Tolerance);
        Assert.Equal(["a", "b"], report.PerIntent.Select(m => m.Intent));
        Assert.Equal((1 + 2.0 / 3) / 2, report.MacroF1, Tolerance);
        Assert.Equal([new ConfusedPair("b", "oos", 1)], report.MostConfused.AsEnumerable());
        Assert.Equal(0.4, report.PrecisionTarget.Threshold!.Value);
        Assert.Equal(0.75, report.PrecisionTarget.Coverage!.Value);

        var abstention = report.Abstention!;
        Assert.Equal(3.05 / 4, abstention.MeanConfidenceInScope!.Value, Tolerance);
        Assert.Equal(2.14 / 3, abstention.MeanConfidenceOutOfScope!.Value, Tolerance);
        Assert.Equal(
            [
                new AbstentionAt("precision ≥ 0.98", 0.4, 3, 2, 2.0 / 3, 4, 1, 0.25, 3, 0.75, 1),
                new AbstentionAt("--abstain-below", 0.5, 3, 2, 2.0 / 3, 4, 2, 0.5, 2, 0.5, 1),
            ],
            abstention.AtThresholds.AsEnumerable());
        Assert.Equal(2.0 / 3, report.RiskCoverage.Single(p => p.Threshold == 0).OutOfScopeAnswered!.Value);
        Assert.Equal(1.0 / 3, report.RiskCoverage.Single(p => p.Threshold == 0.5).OutOfScopeAnswered!.Value);
    }

    [Fact]
    public void Without_an_unknown_label_or_an_abstention_threshold_there_is_no_abstention_section()
    {
        var report = Evaluate(Ladder);

        Assert.Null(report.Abstention);
        Assert.DoesNotContain("## Abstention", IntentEvaluation.Format(report), StringComparison.Ordinal);
    }

    [Fact]
    public void Confused_pairs_are_ordered_by_count_then_gold_then_predicted_and_cut_at_ten()
    {
        var items = new List<(string, string, double)>
        {
            ("x", "y", 0.9), ("x", "y", 0.9), ("x", "y", 0.9),
            ("b", "a", 0.9), ("b", "a", 0.9), ("a", "c", 0.9), ("a", "c", 0.9), ("c", "a", 0.9), ("a", "a", 0.9),
        };
        items.AddRange(Enumerable.Range(0, 8).Select(i => ($"g{i}", "p", 0.9)));

        var pairs = Evaluate(items).MostConfused;

        Assert.Equal(10, pairs.Length);
        Assert.Equal(
            [new ConfusedPair("x", "y", 3), new ConfusedPair("a", "c", 2), new ConfusedPair("b", "a", 2), new ConfusedPair("c", "a", 1), new ConfusedPair("g0", "p", 1)],
            pairs.Take(5));
    }

    [Fact]
    public void The_text_report_cuts_a_long_per_intent_table_to_the_thirty_worst()
    {
        // i00..i04 are always answered x (F1 0, as is x itself); the other 40 intents are always right (F1 1).
        var report = Evaluate(Enumerable.Range(0, 45).Select(i => ($"i{i:00}", i < 5 ? "x" : $"i{i:00}", 0.9)));

        var text = IntentEvaluation.Format(report);

        Assert.Equal(46, report.PerIntent.Length);
        Assert.Contains("| i00 | 1 | 0 | 0.0% | 0.0% | 0.000 |", text, StringComparison.Ordinal);
        Assert.Contains("| x | 0 | 5 | 0.0% | 0.0% | 0.000 |", text, StringComparison.Ordinal);
        Assert.Contains("| i28 | 1 | 1 | 100.0% | 100.0% | 1.000 |", text, StringComparison.Ordinal);
        Assert.DoesNotContain("| i29 |", text, StringComparison.Ordinal);
        Assert.Contains("| … 16 more intents with a higher F1", text, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_out_of_scope_items_cannot_be_scored()
    {
        var ex = Assert.Throws<ArgumentException>(() => Evaluate([("oos", "a", 0.9)], new IntentEvaluationOptions(UnknownLabel: "oos")));

        Assert.Contains("Every item is out of scope ('oos')", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_confidence_outside_zero_to_one_is_rejected()
    {
        Assert.Throws<ArgumentException>(() => Evaluate([("a", "a", 1.5)]));
    }

    [Fact]
    public async Task Throughput_is_timed_around_the_predictor_call()
    {
        var time = new FakeTimeProvider();
        var predictor = new IntentPredictor("fake", "1", (texts, progress, ct) =>
        {
            time.Advance(TimeSpan.FromSeconds(2));
            return Task.FromResult<IReadOnlyList<IntentPrediction>>([.. texts.Select(t => new IntentPrediction(t, 0.9, []))]);
        });

        var report = await IntentEvaluation.RunAsync(
            [new LabelledText("a", "a"), new LabelledText("b", "b"), new LabelledText("a", "b"), new LabelledText("c", "c")],
            predictor, new IntentEvaluationOptions(), time, null, TestContext.Current.CancellationToken);

        Assert.Equal(new Throughput(4, 2, 2), report.Throughput);
        Assert.Equal(("fake", "1"), (report.Predictor, report.PredictorVersion));
        Assert.Equal(0.75, report.Accuracy);
    }

    [Fact]
    public async Task A_predictor_that_answers_the_wrong_number_of_predictions_fails_the_run()
    {
        var predictor = new IntentPredictor("short", "1", (texts, progress, ct) => Task.FromResult<IReadOnlyList<IntentPrediction>>([]));

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            IntentEvaluation.RunAsync([new LabelledText("a", "a")], predictor, new IntentEvaluationOptions(), TimeProvider.System, null, TestContext.Current.CancellationToken));
    }

    [Fact]
    public void A_synchronous_model_runs_in_slices_reporting_the_count_done_and_stopping_when_cancelled()
    {
        var reported = new List<int>();
        var progress = new SyncProgress(reported.Add);

        var predictions = IntentPredictor.InSlices(["a", "b", "c", "d", "e"], 2, Echo, progress, TestContext.Current.CancellationToken);

        Assert.Equal(["a", "b", "c", "d", "e"], predictions.Select(p => p.Intent));
        Assert.Equal([2, 4, 5], reported);

        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.Throws<OperationCanceledException>(() => IntentPredictor.InSlices(["a"], 2, Echo, null, cancelled.Token));

        static IReadOnlyList<IntentPrediction> Echo(IReadOnlyList<string> texts) => [.. texts.Select(t => new IntentPrediction(t, 1, []))];
    }

    [Fact]
    public void The_JSON_report_parses_back_to_the_same_numbers()
    {
        var report = Evaluate(
            [("a", "a", 0.9), ("a", "a", 0.4), ("b", "b", 0.8), ("b", "oos", 0.95), ("oos", "a", 0.3), ("oos", "oos", 0.99)],
            new IntentEvaluationOptions(UnknownLabel: "oos", AbstainBelow: 0.5)) with { Dataset = "test.jsonl" };

        var back = JsonSerializer.Deserialize(JsonSerializer.Serialize(report, EvaluationJsonContext.Default.IntentEvaluationReport), EvaluationJsonContext.Default.IntentEvaluationReport)!;

        AssertSameNumbers(report, back);
    }

    /// <summary>Records compare their immutable arrays by reference, so the collections are compared item by item.</summary>
    internal static void AssertSameNumbers(IntentEvaluationReport expected, IntentEvaluationReport actual)
    {
        Assert.Equal(
            expected with { PerIntent = [], MostConfused = [], RiskCoverage = [], Reliability = [], Abstention = null, Notes = [] },
            actual with { PerIntent = [], MostConfused = [], RiskCoverage = [], Reliability = [], Abstention = null, Notes = [] });
        Assert.Equal(expected.PerIntent.AsEnumerable(), actual.PerIntent.AsEnumerable());
        Assert.Equal(expected.MostConfused.AsEnumerable(), actual.MostConfused.AsEnumerable());
        Assert.Equal(expected.RiskCoverage.AsEnumerable(), actual.RiskCoverage.AsEnumerable());
        Assert.Equal(expected.Reliability.AsEnumerable(), actual.Reliability.AsEnumerable());
        Assert.Equal(expected.Notes.AsEnumerable(), actual.Notes.AsEnumerable());
        Assert.Equal(expected.Abstention is null, actual.Abstention is null);
        if (expected.Abstention is { } a)
        {
            Assert.Equal(a with { AtThresholds = [] }, actual.Abstention! with { AtThresholds = [] });
            Assert.Equal(a.AtThresholds.AsEnumerable(), actual.Abstention!.AtThresholds.AsEnumerable());
        }
    }

    /// <summary>Predictions exactly as listed: (gold, predicted, confidence).</summary>
    private static IntentEvaluationReport Evaluate(IEnumerable<(string Gold, string Predicted, double Confidence)> rows, IntentEvaluationOptions? options = null)
    {
        var list = rows.ToList();
        return IntentEvaluation.Compute(
            [.. list.Select(r => new LabelledText("text", r.Gold))],
            [.. list.Select(r => new IntentPrediction(r.Predicted, r.Confidence, []))],
            options ?? new IntentEvaluationOptions(),
            TimeSpan.FromSeconds(1));
    }

    /// <summary>Eight answers by falling confidence, right except at 0.80, 0.60 and 0.40.</summary>
    private static readonly (string, string, double)[] Ladder =
    [
        ("a", "a", 0.99), ("a", "a", 0.95), ("b", "b", 0.90), ("a", "b", 0.80),
        ("b", "b", 0.70), ("b", "a", 0.60), ("a", "a", 0.50), ("b", "a", 0.40),
    ];

    private sealed class SyncProgress(Action<int> report) : IProgress<int>
    {
        public void Report(int value) => report(value);
    }

    private sealed class MetricsComparer : IEqualityComparer<IntentMetrics>
    {
        public bool Equals(IntentMetrics? x, IntentMetrics? y) =>
            x is not null && y is not null && x.Intent == y.Intent && (x.Support, x.Predicted, x.Correct) == (y.Support, y.Predicted, y.Correct)
            && Math.Abs(x.Precision - y.Precision) < Tolerance && Math.Abs(x.Recall - y.Recall) < Tolerance && Math.Abs(x.F1 - y.F1) < Tolerance;

        public int GetHashCode(IntentMetrics obj) => obj.Intent.GetHashCode(StringComparison.Ordinal);
    }
}
