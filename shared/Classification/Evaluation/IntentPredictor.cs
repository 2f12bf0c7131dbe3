using Sift.Classification.Local;

namespace Sift.Classification.Evaluation;

/// <summary>
/// A classifier under evaluation: a name and version for the report, and a batch call that answers one prediction per
/// text, in order, reporting how many texts are done so far. The local model and the hosted LLM both fit behind it.
/// </summary>
/// <param name="Name">Shown in the report, e.g. <c>local</c> or <c>llm:openai</c>.</param>
/// <param name="Version">The model's version (file hash, model id, prompt version...).</param>
/// <param name="PredictAsync">Predicts every text; the progress receives the cumulative count of texts done.</param>
public sealed record IntentPredictor(
    string Name,
    string Version,
    Func<IReadOnlyList<string>, IProgress<int>?, CancellationToken, Task<IReadOnlyList<IntentPrediction>>> PredictAsync)
{
    public const int DefaultBatchSize = 64;

    /// <summary>The ML.NET model; the caller keeps ownership of <paramref name="model"/> and disposes it.</summary>
    public static IntentPredictor FromLocalModel(LocalIntentModel model, int batchSize = DefaultBatchSize)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new("local", model.Version, (texts, progress, cancellationToken) =>
            Task.FromResult(InSlices(texts, batchSize, model.PredictBatch, progress, cancellationToken)));
    }

    /// <summary>
    /// Runs a synchronous batch call slice by slice, so that a long evaluation shows progress and can be cancelled
    /// between slices instead of only at the end.
    /// </summary>
    public static IReadOnlyList<IntentPrediction> InSlices(
        IReadOnlyList<string> texts,
        int sliceSize,
        Func<IReadOnlyList<string>, IReadOnlyList<IntentPrediction>> predictBatch,
        IProgress<int>? progress,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        ArgumentNullException.ThrowIfNull(predictBatch);
        ArgumentOutOfRangeException.ThrowIfLessThan(sliceSize, 1);
        var predictions = new List<IntentPrediction>(texts.Count);
        for (var start = 0; start < texts.Count; start += sliceSize)
        {
            cancellationToken.ThrowIfCancellationRequested();
            var slice = new List<string>(Math.Min(sliceSize, texts.Count - start));
            for (var i = start; i < Math.Min(start + sliceSize, texts.Count); i++)
            {
                slice.Add(texts[i]);
            }

            var answers = predictBatch(slice);
            if (answers.Count != slice.Count)
            {
                throw new InvalidOperationException($"The predictor answered {answers.Count} predictions for {slice.Count} texts.");
            }

            predictions.AddRange(answers);
            progress?.Report(predictions.Count);
        }

        return predictions;
    }
}
