using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sift.Hosting;

namespace Sift.Classification;

public static class ClassificationExtensions
{
    /// <summary>The taxonomy (the shipped one when <c>Sift:Taxonomy</c> lists no intents) and the local classifier, loaded at start.</summary>
    public static IHostApplicationBuilder AddSiftClassification(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TaxonomyOptions>()
            .BindConfiguration(TaxonomyOptions.Section)
            .PostConfigure(ApplyDefaults)
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TaxonomyOptions>, TaxonomyValidation>();
        builder.Services.AddOptions<ClassificationOptions>().BindConfiguration(ClassificationOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<LocalClassifier>();
        builder.Services.LoadAtStart<LocalClassifier>();
        return builder;
    }

    /// <summary>Each part left empty in configuration takes the shipped value, so a taxonomy can change only its intents.</summary>
    private static void ApplyDefaults(TaxonomyOptions taxonomy)
    {
        var shipped = TaxonomyOptions.Default();
        if (taxonomy.Intents.Count == 0)
        {
            taxonomy.Intents = shipped.Intents;
            taxonomy.UnknownIntent = string.IsNullOrEmpty(taxonomy.UnknownIntent) ? shipped.UnknownIntent : taxonomy.UnknownIntent;
        }

        if (taxonomy.Urgencies.Count == 0)
        {
            taxonomy.Urgencies = shipped.Urgencies;
        }

        if (taxonomy.Owners.Count == 0)
        {
            taxonomy.Owners = shipped.Owners;
        }

        if (taxonomy.PolicyFlags.Count == 0)
        {
            taxonomy.PolicyFlags = shipped.PolicyFlags;
        }
    }

    /// <summary>Names every problem of the taxonomy at start, instead of one generic message.</summary>
    private sealed class TaxonomyValidation : IValidateOptions<TaxonomyOptions>
    {
        public ValidateOptionsResult Validate(string? name, TaxonomyOptions options)
        {
            var problems = options.Validate();
            return problems.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail(problems.Select(p => $"{TaxonomyOptions.Section}:{p}"));
        }
    }
}
