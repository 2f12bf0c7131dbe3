using System.Collections.Concurrent;
using System.Collections.Immutable;
using Microsoft.ML;
using Microsoft.ML.Data;

namespace Sift.Classification.Local;

/// <summary>The row ML.NET reads: the normalised text, and the label when training.</summary>
internal sealed class LocalTextRow
{
    public string Text { get; set; } = "";

    /// <summary>The character n-grams inside words (<see cref="LocalModelFile.CharWordGrams"/>), empty when the model takes none.</summary>
    public string Grams { get; set; } = "";

    public string Label { get; set; } = "";

    public static LocalTextRow For(string text, CharWordGramLengths grams, string label = "")
    {
        var normalised = LocalModelFile.NormaliseText(text);
        return new LocalTextRow
        {
            Text = normalised,
            Grams = grams.MaxLength > 0 ? LocalModelFile.CharWordGrams(normalised, grams.MinLength, grams.MaxLength) : "",
            Label = label,
        };
    }
}

/// <summary>The row ML.NET writes: each member model's probabilities one after the other, each in the model's label order.</summary>
internal sealed class LocalScoreRow
{
    public const string Column = nameof(Scores);

    public float[] Scores { get; set; } = [];
}

/// <summary>
/// The local intent classifier: an ML.NET text model and a temperature, loaded from one <c>.siftmodel</c> file.
/// <see cref="Predict"/> and <see cref="PredictBatch"/> may be called from any number of threads.
/// </summary>
public sealed class LocalIntentModel : IDisposable
{
    private const int Alternatives = 3;

    // Below this a batch is not worth the hand-off to other cores.
    private const int ParallelThreshold = 64;

    private readonly MLContext ml;
    private readonly ITransformer transformer;

    // A PredictionEngine is fast but not thread-safe: each caller borrows one (with its own buffers) and gives it back.
    private readonly ConcurrentBag<Worker> workers = [];
    private bool disposed;

    private readonly CharWordGramLengths charWordGrams;

    private LocalIntentModel(MLContext ml, ITransformer transformer, ImmutableArray<string> labels, double temperature, CharWordGramLengths charWordGrams, string version, DateTimeOffset trainedAt)
    {
        this.charWordGrams = charWordGrams;
        this.ml = ml;
        this.transformer = transformer;
        Labels = labels;
        Temperature = temperature;
        Version = version;
        TrainedAt = trainedAt;
    }

    /// <summary>"local-" and the first 12 hex digits of the model file's SHA-256.</summary>
    public string Version { get; }

    /// <summary>The intents the model answers, in its score order.</summary>
    public ImmutableArray<string> Labels { get; }

    /// <summary>The temperature fitted on the calibration hold-out (1 = the raw model's probabilities).</summary>
    public double Temperature { get; }

    public DateTimeOffset TrainedAt { get; }

    /// <summary>Loads a <c>.siftmodel</c> file; a missing, corrupt or foreign file throws <see cref="InvalidDataException"/> naming the path.</summary>
    public static LocalIntentModel Load(string path)
    {
        var (modelBytes, metadata, version) = LocalModelFile.Read(path);
        var ml = new MLContext(seed: 0);
        ITransformer transformer;
        DataViewSchema inputSchema;
        try
        {
            using var stream = new MemoryStream(modelBytes, writable: false);
            transformer = ml.Model.Load(stream, out inputSchema);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}': the ML.NET model entry is corrupt ({ex.Message}).", ex);
        }

        var model = new LocalIntentModel(ml, transformer, metadata.Labels, metadata.Temperature, metadata.CharWordGrams, version, metadata.TrainedAt);
        model.CheckLabels(path);
        return model;
    }

    internal static LocalIntentModel FromTrained(MLContext ml, ITransformer transformer, ImmutableArray<string> labels, double temperature, CharWordGramLengths charWordGrams, string version, DateTimeOffset trainedAt) =>
        new(ml, transformer, labels, temperature, charWordGrams, version, trainedAt);

    /// <summary>The best intent, its calibrated confidence and the next three (best first).</summary>
    public IntentPrediction Predict(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var worker = Rent();
        try
        {
            return worker.Predict(text, this);
        }
        finally
        {
            workers.Add(worker);
        }
    }

    /// <summary>Predicts many texts, spread over the machine's cores; the answers are in the order of <paramref name="texts"/>.</summary>
    public IReadOnlyList<IntentPrediction> PredictBatch(IReadOnlyList<string> texts)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var results = new IntentPrediction[texts.Count];
        if (texts.Count < ParallelThreshold || Environment.ProcessorCount == 1)
        {
            var worker = Rent();
            try
            {
                for (var i = 0; i < texts.Count; i++)
                {
                    results[i] = worker.Predict(texts[i], this);
                }
            }
            finally
            {
                workers.Add(worker);
            }

            return results;
        }

        // One contiguous range per core: each borrows a single engine, so there is no per-item pool traffic.
        var parts = Math.Min(Environment.ProcessorCount, (texts.Count + ParallelThreshold - 1) / ParallelThreshold);
        Parallel.For(0, parts, part =>
        {
            var start = (int)((long)texts.Count * part / parts);
            var end = (int)((long)texts.Count * (part + 1) / parts);
            var worker = Rent();
            try
            {
                for (var i = start; i < end; i++)
                {
                    results[i] = worker.Predict(texts[i], this);
                }
            }
            finally
            {
                workers.Add(worker);
            }
        });
        return results;
    }

    /// <summary>The raw (uncalibrated) probabilities, in <see cref="Labels"/> order: what temperature fitting works on.</summary>
    internal float[] RawProbabilities(string text)
    {
        var worker = Rent();
        try
        {
            return [.. worker.Score(text)];
        }
        finally
        {
            workers.Add(worker);
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        while (workers.TryTake(out var worker))
        {
            worker.Dispose();
        }
    }

    private Worker Rent()
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        return workers.TryTake(out var worker) ? worker : new Worker(ml.Model.CreatePredictionEngine<LocalTextRow, LocalScoreRow>(transformer), Labels.Length, charWordGrams);
    }

    private void CheckLabels(string path)
    {
        // The score slots must be the labels the metadata names, in the same order, or every answer would be wrong.
        var output = transformer.GetOutputSchema(ml.Data.LoadFromEnumerable(Array.Empty<LocalTextRow>()).Schema);
        var score = output.GetColumnOrNull("Score");
        if (score is null || score.Value.Type is not VectorDataViewType { Size: var size } || size != Labels.Length)
        {
            throw new InvalidDataException($"'{path}': the model's Score column does not have one slot per label ({Labels.Length}).");
        }

        if (output.GetColumnOrNull(LocalScoreRow.Column) is not { Type: VectorDataViewType { Size: var all } } || all == 0 || all % Labels.Length != 0)
        {
            throw new InvalidDataException($"'{path}': the model's {LocalScoreRow.Column} column does not hold whole sets of {Labels.Length} probabilities.");
        }

        var names = default(VBuffer<ReadOnlyMemory<char>>);
        score.Value.GetSlotNames(ref names);
        var slots = names.DenseValues().Select(n => n.ToString()).ToArray();
        if (!slots.SequenceEqual(Labels, StringComparer.Ordinal))
        {
            throw new InvalidDataException($"'{path}': the model's labels ({string.Join(", ", slots)}) differ from {LocalModelFile.MetadataEntry} ({string.Join(", ", Labels)}).");
        }
    }

    private sealed class Worker(PredictionEngine<LocalTextRow, LocalScoreRow> engine, int labelCount, CharWordGramLengths charWordGrams) : IDisposable
    {
        private readonly LocalTextRow input = new();
        // Passed by ref so the engine refills the same Score array instead of allocating one per message.
        private LocalScoreRow output = new();
        private readonly double[] scaled = new double[labelCount];

        private readonly float[] mean = new float[labelCount];

        public float[] Score(string text)
        {
            input.Text = LocalModelFile.NormaliseText(text);
            input.Grams = charWordGrams.MaxLength > 0 ? LocalModelFile.CharWordGrams(input.Text, charWordGrams.MinLength, charWordGrams.MaxLength) : "";
            engine.Predict(input, ref output);

            // The ensemble's answer is the mean of its members' probabilities (a single model is a mean of one).
            var scores = output.Scores;
            var members = scores.Length / mean.Length;
            for (var k = 0; k < mean.Length; k++)
            {
                var sum = 0f;
                for (var m = 0; m < members; m++)
                {
                    sum += scores[(m * mean.Length) + k];
                }

                mean[k] = sum / members;
            }

            return mean;
        }

        public IntentPrediction Predict(string text, LocalIntentModel model)
        {
            var probabilities = Score(text);
            TemperatureScaling.Apply(probabilities, model.Temperature, scaled);

            // Top 1 + 3 by selection: the label count is small, and a sort would allocate.
            Span<int> top = stackalloc int[Alternatives + 1];
            var found = 0;
            for (var k = 0; k < scaled.Length; k++)
            {
                var position = found;
                while (position > 0 && scaled[top[position - 1]] < scaled[k])
                {
                    position--;
                }

                if (position > Alternatives)
                {
                    continue;
                }

                for (var j = Math.Min(found, Alternatives); j > position; j--)
                {
                    top[j] = top[j - 1];
                }

                top[position] = k;
                found = Math.Min(found + 1, Alternatives + 1);
            }

            var alternatives = ImmutableArray.CreateBuilder<IntentScore>(found - 1);
            for (var j = 1; j < found; j++)
            {
                alternatives.Add(new IntentScore(model.Labels[top[j]], scaled[top[j]]));
            }

            return new IntentPrediction(model.Labels[top[0]], scaled[top[0]], alternatives.MoveToImmutable());
        }

        public void Dispose() => engine.Dispose();
    }
}
