using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sift.Classification.Llm;

public static class LlmExtensions
{
    /// <summary>
    /// The hosted-model classifier: options (validated on start), the named HttpClient and the classifier. With
    /// <c>Provider = none</c> nothing calls a model and <see cref="LlmAvailability.Classifier"/> is null.
    /// </summary>
    public static IHostApplicationBuilder AddSiftLlm(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LlmOptions>()
            .BindConfiguration(LlmOptions.Section)
            .PostConfigure<IConfiguration>((options, configuration) =>
            {
                // The provider's usual variable, when Sift's own key is not set.
                if (string.IsNullOrWhiteSpace(options.ApiKey) && LlmProviders.KeyVariable(options.Provider) is { } variable)
                {
                    options.ApiKey = configuration[variable];
                }
            })
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LlmOptions>, LlmOptionsValidator>();

        // Bound here only when no other feature has bound the taxonomy: binding twice would append every list twice.
        if (!builder.Services.Any(d => d.ServiceType == typeof(IConfigureOptions<TaxonomyOptions>)))
        {
            builder.Services.AddOptions<TaxonomyOptions>().BindConfiguration(TaxonomyOptions.Section);
        }

        builder.Services.AddTransient<LlmHttpObserver>();
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental, but the documented way to drop the defaults' handler for one client.
        builder.Services.AddHttpClient(LlmClientFactory.HttpClientName, http => http.Timeout = Timeout.InfiniteTimeSpan)
            // The classifier's pipeline is the one retry layer: the service defaults' standard handler would retry under it.
            .RemoveAllResilienceHandlers()
            .AddHttpMessageHandler<LlmHttpObserver>();
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<LlmClientFactory>();
        builder.Services.AddSingleton<LlmClassifier>();
        builder.Services.AddSingleton<LlmAvailability>();
        builder.Services.TryAddTimeProvider();
        return builder;
    }

    private static void TryAddTimeProvider(this IServiceCollection services)
    {
        if (!services.Any(d => d.ServiceType == typeof(TimeProvider)))
        {
            services.AddSingleton(TimeProvider.System);
        }
    }
}

/// <summary>Whether a hosted model is configured, and the classifier when it is: what the cascade asks.</summary>
public sealed class LlmAvailability(IOptions<LlmOptions> options, IServiceProvider services)
{
    private readonly Lazy<LlmClassifier?> _classifier = new(() => options.Value.IsConfigured ? services.GetRequiredService<LlmClassifier>() : null);

    public bool IsConfigured => options.Value.IsConfigured;

    /// <summary>The classifier, or null when <c>Sift:Classification:Llm:Provider</c> is <c>none</c>.</summary>
    public LlmClassifier? Classifier => _classifier.Value;
}
