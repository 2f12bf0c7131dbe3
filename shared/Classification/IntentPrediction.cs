using System.Collections.Immutable;

namespace Sift.Classification;

/// <summary>A text and its gold label: a line of a labelled JSONL file.</summary>
public sealed record LabelledText(string Text, string Label);

/// <summary>One intent and the probability a model gives it.</summary>
public sealed record IntentScore(string Intent, double Probability);

/// <summary>
/// A model's answer for one text: the best intent, its calibrated confidence, and the runners-up (best first).
/// A model that abstains answers the taxonomy's unknown intent.
/// </summary>
public sealed record IntentPrediction(string Intent, double Confidence, ImmutableArray<IntentScore> Alternatives);
