using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;
using Microsoft.ML.Transforms;
using Microsoft.ML.Transforms.Text;

namespace Sift.Classification.Local;

/// <summary>How <see cref="LocalIntentTrainer"/> trains; the defaults are the tuned ones (see the README's figures).</summary>
/// <param name="Seed">Seeds ML.NET and the calibration split, so the same data gives the same model.</param>
/// <param name="CalibrationFraction">The stratified share of the examples kept out of the fit to fit the temperature on.</param>
/// <param name="WordNgramLength">Word n-grams of 1 up to this length (TF-IDF).</param>
/// <param name="CharNgramLength">Whole-text character n-grams of 1 up to this length (TF-IDF); 0 leaves them out.</param>
/// <param name="CharWordMinLength">The shortest character n-gram taken inside each word (see <see cref="CharWordMaxLength"/>).</param>
/// <param name="CharWordMaxLength">The longest character n-gram taken inside each word (TF-IDF, binary term frequency); 0 leaves them out.</param>
/// <param name="L2Regularization">The L-BFGS maximum-entropy trainer's L2 weight.</param>
/// <param name="MaxIterations">The L-BFGS iteration cap (BANKING77 converges before 100: 200 gave the same model).</param>
/// <param name="Ensemble">Also fit one model per feature view and average the probabilities of all of them.</param>
/// <param name="RefitOnAll">After the temperature is fitted, fit the weights again on every example (calibration ones included).</param>
/// <param name="Clock">Stamps the model's training date; the system clock when null.</param>
public sealed record LocalTrainingOptions(
    int Seed = 20261201,
    double CalibrationFraction = 0.1,
    int WordNgramLength = 2,
    int CharNgramLength = 4,
    int CharWordMinLength = 2,
    int CharWordMaxLength = 0,
    float L2Regularization = 0.1f,
    int MaxIterations = 100,
    bool Ensemble = false,
    bool RefitOnAll = true,
    TimeProvider? Clock = null);

/// <summary>How many training examples one label had.</summary>
public sealed record LabelCount(string Label, int Count);

/// <summary>What <see cref="LocalIntentTrainer.Train"/> did: the model it wrote and how well its confidence is calibrated.</summary>
/// <param name="Version">The written file's version: "local-" and 12 hex digits of its SHA-256.</param>
/// <param name="Path">The full path of the written model file.</param>
/// <param name="Labels">Each label and its number of examples (fit and calibration together).</param>
/// <param name="FitExamples">The examples the written weights were fitted on (all of them when refitted).</param>
/// <param name="CalibrationExamples">The stratified hold-out the temperature was fitted on.</param>
/// <param name="Temperature">The fitted temperature (above 1: the raw model was over-confident).</param>
/// <param name="CalibrationEceBefore">Expected calibration error (15 bins) on the calibration hold-out with the raw probabilities.</param>
/// <param name="CalibrationEceAfter">The same after temperature scaling.</param>
/// <param name="TrainingSeconds">Wall time of the whole training, featurisation to file.</param>
/// <param name="DataHash">A hash of the examples (label and text, in order), recorded in the model file.</param>
public sealed record TrainingReport(
    string Version,
    string Path,
    ImmutableArray<LabelCount> Labels,
    int FitExamples,
    int CalibrationExamples,
    double Temperature,
    double CalibrationEceBefore,
    double CalibrationEceAfter,
    double TrainingSeconds,
    string DataHash);

/// <summary>
/// Trains the local intent classifier: TF-IDF word 1–2-grams, whole-text character n-grams and character n-grams inside
/// words into a multiclass maximum-entropy model, then one temperature fitted on a stratified hold-out so that its confidence can gate routing.
/// </summary>
public static class LocalIntentTrainer
{
    public static TrainingReport Train(IReadOnlyList<LabelledText> examples, LocalTrainingOptions options, string outPath, IProgress<string>? progress, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(examples);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(outPath);
        if (options.CalibrationFraction is < 0 or >= 0.5)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "The calibration fraction must be at least 0 and below 0.5.");
        }

        var labels = examples.Select(e => e.Label).Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal).ToImmutableArray();
        if (labels.Length < 2)
        {
            throw new ArgumentException($"Training needs at least two labels; the data has {labels.Length}.", nameof(examples));
        }

        var clock = options.Clock ?? TimeProvider.System;
        var started = clock.GetTimestamp();
        var (fit, calibration) = SplitForCalibration(examples, options.CalibrationFraction, options.Seed);
        progress?.Report(string.Create(CultureInfo.InvariantCulture, $"{examples.Count} examples, {labels.Length} labels: {fit.Count} to fit, {calibration.Count} to calibrate"));

        var ml = new MLContext(seed: options.Seed);
        // ML.NET's Fit has no cancellation hook, so the token is honoured between the stages.
        ct.ThrowIfCancellationRequested();
        var transformer = Fit(ml, fit, options, progress);
        ct.ThrowIfCancellationRequested();

        var model = LocalIntentModel.FromTrained(ml, transformer, labels, 1, CharWordGrams(options), "", clock.GetUtcNow());
        var temperature = 1.0;
        double eceBefore = 0, eceAfter = 0;
        if (calibration.Count > 0)
        {
            var labelIndex = labels.Select((l, i) => (l, i)).ToDictionary(x => x.l, x => x.i, StringComparer.Ordinal);
            var probabilities = calibration.Select(e => model.RawProbabilities(e.Text)).ToArray();
            var gold = calibration.Select(e => labelIndex[e.Label]).ToArray();
            temperature = TemperatureScaling.Fit(probabilities, gold);
            eceBefore = TemperatureScaling.ExpectedCalibrationError(TemperatureScaling.Outcomes(probabilities, gold, 1));
            eceAfter = TemperatureScaling.ExpectedCalibrationError(TemperatureScaling.Outcomes(probabilities, gold, temperature));
            progress?.Report(string.Create(CultureInfo.InvariantCulture, $"temperature {temperature:0.###}: calibration ECE {eceBefore:0.####} -> {eceAfter:0.####}"));
        }

        model.Dispose();
        ct.ThrowIfCancellationRequested();

        // The temperature was fitted on examples the weights never saw; refitting on all of them gains accuracy (on
        // BANKING77 about half a point) for a model a little more confident than the one T was fitted for.
        var refit = options.RefitOnAll && calibration.Count > 0;
        if (refit)
        {
            progress?.Report("refitting on every example");
            transformer = Fit(ml, examples, options, progress);
            ct.ThrowIfCancellationRequested();
        }

        var dataHash = DataHash(examples);
        byte[] modelBytes;
        using (var stream = new MemoryStream())
        {
            ml.Model.Save(transformer, ml.Data.LoadFromEnumerable(Array.Empty<LocalTextRow>()).Schema, stream);
            modelBytes = stream.ToArray();
        }

        var metadata = new LocalModelMetadata(
            LocalModelFile.Format,
            LocalModelFile.CurrentFormatVersion,
            labels,
            temperature,
            clock.GetUtcNow(),
            dataHash,
            LocalModelFile.Normalisation,
            Describe(options),
            string.Create(CultureInfo.InvariantCulture, $"lbfgs-maxent l2={options.L2Regularization} iterations={options.MaxIterations}{(options.Ensemble ? "; mean of one model per view and one on all views" : "")}"),
            refit ? examples.Count : fit.Count,
            calibration.Count,
            CharWordGrams(options));
        LocalModelFile.Write(outPath, modelBytes, metadata);
        var version = LocalModelFile.VersionOf(File.ReadAllBytes(outPath));

        var counts = examples.GroupBy(e => e.Label, StringComparer.Ordinal).Select(g => new LabelCount(g.Key, g.Count())).OrderBy(c => c.Label, StringComparer.Ordinal).ToImmutableArray();
        return new TrainingReport(version, Path.GetFullPath(outPath), counts, refit ? examples.Count : fit.Count, calibration.Count, temperature, eceBefore, eceAfter, clock.GetElapsedTime(started).TotalSeconds, dataHash);
    }

    private static TransformerChain<ColumnConcatenatingTransformer> Fit(MLContext ml, IReadOnlyList<LabelledText> fit, LocalTrainingOptions options, IProgress<string>? progress)
    {
        var grams = CharWordGrams(options);
        var rows = ml.Data.LoadFromEnumerable(fit.Select(e => LocalTextRow.For(e.Text, grams, e.Label)).ToArray());

        // The label key mapping is fitted apart from the saved chain, so the saved model needs only the text at prediction time.
        // By value: the score slots come out in sorted label order, the order the metadata records.
        var keyed = ml.Transforms.Conversion.MapValueToKey("Label", keyOrdinality: ValueToKeyMappingEstimator.KeyOrdinality.ByValue).Fit(rows).Transform(rows);

        // Each view is featurised and L2-normalised apart, then joined: normalised together, the far more numerous
        // character n-grams would drown the word n-grams, which carry most of the intent.
        var views = new List<string> { "WordFeatures" };
        IEstimator<ITransformer> featurizer = ml.Transforms.Text.FeaturizeText("WordFeatures", Featurizing(new WordBagEstimator.Options { NgramLength = options.WordNgramLength, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf }, null), nameof(LocalTextRow.Text));
        if (options.CharNgramLength > 0)
        {
            featurizer = featurizer.Append(ml.Transforms.Text.FeaturizeText("CharFeatures", Featurizing(null, new WordBagEstimator.Options { NgramLength = options.CharNgramLength, UseAllLengths = true, Weighting = NgramExtractingEstimator.WeightingCriteria.TfIdf }), nameof(LocalTextRow.Text)));
            views.Add("CharFeatures");
        }

        if (grams.MaxLength > 0)
        {
            // The grams are computed in C# (LocalTextRow.For): one token each, so a bag of single tokens is the TF-IDF.
            featurizer = featurizer
                .Append(ml.Transforms.Text.ProduceWordBags("CharWordCounts", nameof(LocalTextRow.Grams), ngramLength: 1, useAllLengths: false, weighting: NgramExtractingEstimator.WeightingCriteria.TfIdf))
                .Append(ml.Transforms.NormalizeLpNorm("CharWordFeatures", "CharWordCounts"));
            views.Add("CharWordFeatures");
        }

        featurizer = featurizer.Append(ml.Transforms.Concatenate("Features", [.. views]));

        IEstimator<ITransformer> Trainer(string features) => ml.MulticlassClassification.Trainers.LbfgsMaximumEntropy(new LbfgsMaximumEntropyMulticlassTrainer.Options
        {
            LabelColumnName = "Label",
            FeatureColumnName = features,
            L2Regularization = options.L2Regularization,
            L1Regularization = 0,
            MaximumNumberOfIterations = options.MaxIterations,
            OptimizationTolerance = 1e-7f,
        });

        IEstimator<ITransformer> chain = featurizer.AppendCacheCheckpoint(ml);
        var scores = new List<string>();
        if (options.Ensemble)
        {
            // Models on single views disagree where the answer is unsure, so their mean ranks confidence better than
            // any one of them; each one's Score is kept under its own name before the next trainer replaces it.
            foreach (var view in views.Where(v => v != "Features"))
            {
                chain = chain.Append(Trainer(view)).Append(ml.Transforms.CopyColumns(view + "Score", "Score"));
                scores.Add(view + "Score");
            }
        }

        scores.Add("Score");
        progress?.Report(options.Ensemble ? $"featurizing and fitting {scores.Count} models" : "featurizing and fitting");
        return chain.Append(Trainer("Features")).Append(ml.Transforms.Concatenate(LocalScoreRow.Column, [.. scores])).Fit(keyed);
    }

    private static CharWordGramLengths CharWordGrams(LocalTrainingOptions options) =>
        options.CharWordMaxLength > 0 ? new(options.CharWordMinLength, options.CharWordMaxLength) : new(0, 0);

    private static string Describe(LocalTrainingOptions options)
    {
        var text = string.Create(CultureInfo.InvariantCulture, $"featurize-text lower,no-diacritics,no-punctuation; word 1-{options.WordNgramLength} tf-idf");
        if (options.CharNgramLength > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"; char 1-{options.CharNgramLength} tf-idf");
        }

        if (options.CharWordMaxLength > 0)
        {
            text += string.Create(CultureInfo.InvariantCulture, $"; char-in-word {options.CharWordMinLength}-{options.CharWordMaxLength} binary-tf-idf");
        }

        return text + "; l2 per view";
    }

    private static TextFeaturizingEstimator.Options Featurizing(WordBagEstimator.Options? words, WordBagEstimator.Options? chars) => new()
    {
        CaseMode = TextNormalizingEstimator.CaseMode.Lower,
        KeepDiacritics = false,
        KeepPunctuations = false,
        KeepNumbers = true,
        WordFeatureExtractor = words,
        CharFeatureExtractor = chars,
        Norm = TextFeaturizingEstimator.NormFunction.L2,
    };

    /// <summary>A seeded, stratified split: about <paramref name="fraction"/> of each label (at least one when it has two or more) for calibration.</summary>
    internal static (IReadOnlyList<LabelledText> Fit, IReadOnlyList<LabelledText> Calibration) SplitForCalibration(IReadOnlyList<LabelledText> examples, double fraction, int seed)
    {
        var fit = new List<LabelledText>();
        var calibration = new List<LabelledText>();
        var random = new Random(seed);
        foreach (var group in examples.GroupBy(e => e.Label, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var items = group.ToArray();
            random.Shuffle(items);
            var take = fraction <= 0 || items.Length < 2 ? 0 : Math.Max(1, (int)Math.Round(items.Length * fraction));
            calibration.AddRange(items[..take]);
            fit.AddRange(items[take..]);
        }

        return (fit, calibration);
    }

    private static string DataHash(IReadOnlyList<LabelledText> examples)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        foreach (var e in examples)
        {
            hash.AppendData(Encoding.UTF8.GetBytes(e.Label));
            hash.AppendData([0]);
            hash.AppendData(Encoding.UTF8.GetBytes(e.Text));
            hash.AppendData([0]);
        }

        return "sha256:" + Convert.ToHexStringLower(hash.GetHashAndReset())[..16];
    }
}
