using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Sift.Classification.Evaluation;

/// <summary>What <c>sift eval</c> measures besides the data: the precision to reach and how out-of-scope gold items are named.</summary>
/// <param name="TargetPrecision">The precision of kept answers the confidence threshold must reach (0..1].</param>
/// <param name="UnknownLabel">The gold label (and predicted answer) meaning "none of our intents", e.g. <c>oos</c>; null when every item is in scope.</param>
/// <param name="AbstainBelow">An extra threshold to report abstention at, besides the one found for the target precision.</param>
public sealed record IntentEvaluationOptions(double TargetPrecision = 0.98, string? UnknownLabel = null, double? AbstainBelow = null);

/// <summary>
/// The result of evaluating an intent classifier on labelled texts. Accuracy, F1, risk–coverage and calibration are over
/// in-scope items only (gold label other than <see cref="UnknownLabel"/>); out-of-scope items are scored under
/// <see cref="Abstention"/>. Rates that have no items to count are null.
/// </summary>
public sealed record IntentEvaluationReport(
    int Items,
    int InScopeItems,
    int OutOfScopeItems,
    string? UnknownLabel,
    double Accuracy,
    double MacroF1,
    ImmutableArray<IntentMetrics> PerIntent,
    ImmutableArray<ConfusedPair> MostConfused,
    ImmutableArray<RiskCoveragePoint> RiskCoverage,
    PrecisionTarget PrecisionTarget,
    double ExpectedCalibrationError,
    ImmutableArray<ReliabilityBin> Reliability,
    Throughput Throughput,
    AbstentionReport? Abstention,
    ImmutableArray<string> Notes)
{
    public string Predictor { get; init; } = "";

    public string PredictorVersion { get; init; } = "";

    /// <summary>Where the items came from (file, filter, hold-out part), as the caller describes it.</summary>
    public string? Dataset { get; init; }
}

/// <summary>One intent's scores over in-scope items. A class never predicted has precision 0; one never in gold has recall 0.</summary>
public sealed record IntentMetrics(string Intent, int Support, int Predicted, int Correct, double Precision, double Recall, double F1);

/// <summary>In-scope items of gold intent <paramref name="Gold"/> answered <paramref name="Predicted"/>.</summary>
public sealed record ConfusedPair(string Gold, string Predicted, int Count);

/// <summary>
/// In-scope answers kept at a threshold (confidence ≥ threshold and not the unknown label): their share of in-scope
/// items and their precision; <paramref name="OutOfScopeAnswered"/> is the share of out-of-scope items that would be answered with an intent.
/// </summary>
public sealed record RiskCoveragePoint(double Threshold, int Kept, double Coverage, double? Precision, double? OutOfScopeAnswered);

/// <summary>
/// The lowest confidence threshold whose kept answers reach the target precision, searched over every distinct confidence.
/// When unreachable, <see cref="Threshold"/> is null and the best precision any threshold gives is reported instead.
/// </summary>
public sealed record PrecisionTarget(
    double Target,
    bool Reached,
    double? Threshold,
    double? Coverage,
    double? Precision,
    double? BestPrecision,
    double? BestPrecisionThreshold,
    double? BestPrecisionCoverage);

/// <summary>One of 15 equal-width confidence bins (lower, upper] with its items' mean confidence and accuracy.</summary>
public sealed record ReliabilityBin(double Lower, double Upper, int Count, double MeanConfidence, double Accuracy, double Gap);

/// <summary>Messages predicted per second, timed around the predictor call only (not reading the data).</summary>
public sealed record Throughput(int Messages, double Seconds, double? MessagesPerSecond);

/// <summary>How abstaining (answering "unknown") plays out: mean confidences and the counts at each reported threshold.</summary>
public sealed record AbstentionReport(
    string? UnknownLabel,
    double? MeanConfidenceInScope,
    double? MeanConfidenceOutOfScope,
    ImmutableArray<AbstentionAt> AtThresholds);

/// <summary>
/// Abstention at one threshold: an item is abstained on when its confidence is below the threshold or the answer is the
/// unknown label. In-scope accuracy counts an abstention as wrong; the precision of answers leaves abstentions out.
/// </summary>
public sealed record AbstentionAt(
    string Basis,
    double Threshold,
    int OutOfScope,
    int OutOfScopeAbstained,
    double? OutOfScopeAbstainedShare,
    int InScope,
    int InScopeAbstained,
    double? InScopeAbstainedShare,
    int InScopeCorrect,
    double? InScopeAccuracy,
    double? InScopeAnsweredPrecision);

/// <summary>The <c>sift eval --out report.json</c> format.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true)]
[JsonSerializable(typeof(IntentEvaluationReport))]
internal sealed partial class EvaluationJsonContext : JsonSerializerContext;
