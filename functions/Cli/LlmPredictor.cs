using Microsoft.Extensions.Options;
using Sift.Classification;
using Sift.Classification.Evaluation;
using Sift.Classification.Llm;
using Sift.Mail;
using Sift.Policy;
using Sift.Templates;
using Sift.Triage;

namespace Sift.Cli;

/// <summary>
/// <c>sift eval --llm</c>: the hosted classifier the service would use (same options, system prompt with the company and
/// policy lines, schema, redaction and retries), built from configuration without the rest of the host. Each text is sent
/// as the body of a mail without a subject and without the local model's guess, so the hosted model is measured on its
/// own; an answer that fails counts as the unknown intent at confidence 0, as the cascade would hand it to a human.
/// </summary>
internal static class LlmPredictor
{
    private const int Parallelism = 4;

    public static (IntentPredictor? Predictor, IDisposable? Owned, string? Problem) Create(string? configFile)
    {
        if (configFile is not null && !File.Exists(configFile))
        {
            return (null, null, $"No settings file at '{Path.GetFullPath(configFile)}'.");
        }

        try
        {
            return Build(configFile);
        }
        catch (Exception ex) when (ex is InvalidDataException or InvalidOperationException or FormatException or IOException)
        {
            // An unreadable settings file, or a value that does not convert (a Timeout of "ten", a bad Endpoint).
            return (null, null, $"The LLM settings could not be read: {ex.Message}");
        }
    }

    private static (IntentPredictor? Predictor, IDisposable? Owned, string? Problem) Build(string? configFile)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables();
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.Services.AddSingleton(TimeProvider.System);
        builder.AddSiftClassification();
        builder.Services.AddLogging();
        builder.Services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section);
        builder.Services.AddOptions<TemplateOptions>().BindConfiguration(TemplateOptions.Section);
        builder.Services.AddSingleton(sp => TemplateLibrary.Load(sp.GetRequiredService<IOptions<TemplateOptions>>().Value.ResolvedFolder));
        builder.Services.AddSingleton<PolicyStore>();
        builder.AddSiftLlm();
        var host = builder.Build();
        LlmClassifier? classifier;
        TaxonomyOptions taxonomy;
        PolicyDocument policy;
        try
        {
            classifier = host.Services.GetRequiredService<LlmAvailability>().Classifier;
            taxonomy = host.Services.GetRequiredService<IOptions<TaxonomyOptions>>().Value;
            policy = host.Services.GetRequiredService<PolicyStore>().Current.Document;
        }
        catch (PolicyLoadException ex)
        {
            host.Dispose();
            return (null, null, ex.Message);
        }
        catch (OptionsValidationException ex)
        {
            host.Dispose();
            return (null, null, $"The LLM settings are invalid: {string.Join(" ", ex.Failures)}");
        }
        catch
        {
            host.Dispose();
            throw;
        }

        if (classifier is null)
        {
            host.Dispose();
            return (null, null, "no LLM configured: set Sift:Classification:Llm:Provider (and Model, ApiKey, Endpoint as the provider needs) in appsettings.json, the environment or --config FILE.json");
        }

        var predictor = new IntentPredictor("llm", classifier.ModelName, async (texts, progress, cancellationToken) =>
        {
            var predictions = new IntentPrediction[texts.Count];
            var done = 0;
            await Parallel.ForEachAsync(
                Enumerable.Range(0, texts.Count),
                new ParallelOptions { MaxDegreeOfParallelism = Parallelism, CancellationToken = cancellationToken },
                async (i, ct) =>
                {
                    var request = new LlmRequest { Message = AsMail(texts[i], i), Company = policy.Company, PolicyLines = TriageActivities.PolicyLines(policy) };
                    var outcome = await classifier.ClassifyAsync(request, ct);
                    predictions[i] = outcome.Classification is { } c
                        ? new IntentPrediction(c.Intent, c.Confidence, [])
                        : new IntentPrediction(taxonomy.UnknownIntent, 0, []);
                    progress?.Report(Interlocked.Increment(ref done));
                });
            return predictions;
        });
        return (predictor, host, null);
    }

    private static InboundMessage AsMail(string text, int index) => new()
    {
        InternetMessageId = $"<eval-{index}@sift.invalid>",
        ThreadId = $"<eval-{index}@sift.invalid>",
        From = new EmailAddress("customer@sift.invalid", null),
        Subject = string.Empty,
        ReceivedAt = DateTimeOffset.UnixEpoch,
        Text = text,
    };
}
