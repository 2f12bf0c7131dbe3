using System.ComponentModel.DataAnnotations;

namespace Sift.Classification;

/// <summary>The local classifier (section <c>Sift:Classification</c>); the hosted model has its own section, <c>Sift:Classification:Llm</c>.</summary>
public sealed class ClassificationOptions
{
    public const string Section = "Sift:Classification";

    /// <summary>
    /// The trained model file (<c>sift train</c>), loaded at start. A relative path is looked up beside the executable, then
    /// in the working directory. Empty: the keyword rules classify instead (no model at all).
    /// </summary>
    public string LocalModel { get; set; } = "samples/models/intents.siftmodel";

    /// <summary>
    /// Below this calibrated confidence the local model abstains, when no hosted model is there to ask: the message gets the
    /// taxonomy's unknown intent, which the shipped policy gives to a human.
    /// </summary>
    [Range(0.0, 1.0)]
    public double AbstainBelow { get; set; } = 0.25;
}
