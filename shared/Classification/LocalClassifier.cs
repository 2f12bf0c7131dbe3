using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sift.Classification.Local;
using Sift.Mail;

namespace Sift.Classification;

/// <summary>
/// The first classifier of the cascade, in process: the trained intent model for the intent and its calibrated confidence,
/// the keyword rules for urgency and the policy flags (VIP, legal, PII, complaint, prompt injection). Without a model file
/// (<see cref="ClassificationOptions.LocalModel"/> empty) the keyword rules give the intent too.
/// </summary>
public sealed partial class LocalClassifier : IDisposable
{
    private readonly LocalIntentModel? _model;
    private readonly IOptionsMonitor<TaxonomyOptions> _taxonomy;

    public LocalClassifier(IOptions<ClassificationOptions> options, IOptionsMonitor<TaxonomyOptions> taxonomy, ILogger<LocalClassifier> logger)
    {
        _taxonomy = taxonomy;
        var path = options.Value.LocalModel;
        if (string.IsNullOrWhiteSpace(path))
        {
            LogRulesOnly(logger);
            return;
        }

        _model = LocalIntentModel.Load(Resolve(path));
        var outside = _model.Labels.Where(l => !taxonomy.CurrentValue.IsIntent(l)).ToList();
        LogLoaded(logger, _model.Version, _model.Labels.Length);
        if (outside.Count > 0)
        {
            // Not fatal: such an answer counts as "not covered" and goes to the hosted model or a human, never becomes a label.
            LogLabelsOutsideTaxonomy(logger, string.Join(", ", outside));
        }
    }

    /// <summary>The model's version (content hash), or the keyword rules' when there is no model.</summary>
    public string Version => _model?.Version ?? RuleClassifier.ModelVersion;

    /// <summary>The text the model reads: the subject and the new text of the mail (not the quoted history).</summary>
    private static string ModelText(InboundMessage message) => $"{message.Subject}\n{message.Latest}";

    public Classification Classify(InboundMessage message, IReadOnlyCollection<string> vips)
    {
        var rules = RuleClassifier.Classify(message, vips);
        if (_model is null)
        {
            return rules;
        }

        var prediction = _model.Predict(ModelText(message));
        return rules with
        {
            Intent = prediction.Intent,
            Confidence = Math.Round(prediction.Confidence, 4),
            Rationale = string.Create(CultureInfo.InvariantCulture,
                $"local model: {prediction.Intent} {prediction.Confidence:0.###}; then {string.Join(", ", prediction.Alternatives.Select(a => $"{a.Intent} {a.Probability:0.###}"))}"),
            Model = _model.Version,
        };
    }

    public TaxonomyOptions Taxonomy => _taxonomy.CurrentValue;

    public void Dispose() => _model?.Dispose();

    private static string Resolve(string path)
    {
        if (Path.IsPathRooted(path))
        {
            return path;
        }

        var besideExecutable = Path.Combine(AppContext.BaseDirectory, path);
        return File.Exists(besideExecutable) ? besideExecutable : Path.GetFullPath(path);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Local intent model {Version} loaded with {Labels} intents.")]
    private static partial void LogLoaded(ILogger logger, string version, int labels);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The local model knows intents the taxonomy does not allow ({Labels}); its answers with them count as not covered.")]
    private static partial void LogLabelsOutsideTaxonomy(ILogger logger, string labels);

    [LoggerMessage(Level = LogLevel.Information, Message = "No local model configured (Sift:Classification:LocalModel is empty): the keyword rules classify.")]
    private static partial void LogRulesOnly(ILogger logger);
}
