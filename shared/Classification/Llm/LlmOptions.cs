using Microsoft.Extensions.Options;

namespace Sift.Classification.Llm;

/// <summary>
/// The hosted model asked when the local classifier is unsure (section <c>Sift:Classification:Llm</c>). The key comes
/// from configuration or the environment only (<c>Sift__Classification__Llm__ApiKey</c>, or the provider's usual
/// variable), never from appsettings.
/// </summary>
public sealed class LlmOptions
{
    public const string Section = "Sift:Classification:Llm";

    /// <summary><c>none</c> (the default: no hosted model), <c>openai</c>, <c>azure-openai</c>, <c>anthropic</c> or <c>openai-compatible</c>.</summary>
    public string Provider { get; set; } = LlmProviders.None;

    /// <summary>The model (for Azure OpenAI: the deployment name), e.g. <c>gpt-4o-mini</c> or <c>claude-3-5-haiku-latest</c>.</summary>
    public string Model { get; set; } = "";

    /// <summary>
    /// Required for <c>azure-openai</c> (the v1 API: <c>https://RESOURCE.openai.azure.com/openai/v1/</c>) and
    /// <c>openai-compatible</c> (e.g. Ollama's <c>http://localhost:11434/v1</c>); optional otherwise (a proxy).
    /// </summary>
    public Uri? Endpoint { get; set; }

    /// <summary>When unset: OPENAI_API_KEY, AZURE_OPENAI_API_KEY or ANTHROPIC_API_KEY, by provider.</summary>
    public string? ApiKey { get; set; }

    /// <summary>The limit for one attempt; a retry gets a fresh one.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Attempts per call, the first included.</summary>
    public int MaxAttempts { get; set; } = 3;

    /// <summary>The first retry's delay; later ones double, with jitter. A Retry-After from the provider wins.</summary>
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// A provider asking to wait longer than this (Retry-After) is not waited for: the message goes to a human rather
    /// than holding a triage slot for minutes.
    /// </summary>
    public TimeSpan MaxRetryAfter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>The circuit opens when at least this share of calls failed in the sampling window...</summary>
    public double BreakerFailureRatio { get; set; } = 0.5;

    /// <summary>...and at least this many calls were made in it.</summary>
    public int BreakerMinimumThroughput { get; set; } = 5;

    public TimeSpan BreakerSamplingDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long an open circuit fails calls at once before letting one through to test the provider.</summary>
    public TimeSpan BreakerBreakDuration { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Replace personal data with placeholders before anything leaves for the provider.</summary>
    public bool RedactPii { get; set; } = true;

    /// <summary>Longer email text is cut: a triage decision needs the start of a mail, and the cost grows with its length.</summary>
    public int MaxEmailChars { get; set; } = 8000;

    public int MaxOutputTokens { get; set; } = 400;

    /// <summary>
    /// USD per million tokens, by model; a model is priced by its exact name or else by the longest name it starts
    /// with (<c>gpt-4o-mini-2024-07-18</c> by <c>gpt-4o-mini</c>). The shipped figures are the providers' list prices as
    /// known when written; the owner of the deployment must check them against the current price pages (and their
    /// contract) and override them here.
    /// </summary>
    public Dictionary<string, ModelPrice> Prices { get; set; } = new(StringComparer.OrdinalIgnoreCase)
    {
        ["gpt-4o-mini"] = new() { InputPerMillionUsd = 0.15m, OutputPerMillionUsd = 0.60m },
        ["claude-3-5-haiku"] = new() { InputPerMillionUsd = 0.80m, OutputPerMillionUsd = 4.00m },
    };

    public bool IsConfigured => !string.Equals(Provider, LlmProviders.None, StringComparison.OrdinalIgnoreCase);

    /// <summary>The price of a model: its exact entry, or the longest entry it starts with; null when none fits.</summary>
    public ModelPrice? PriceOf(string model)
    {
        if (Prices.TryGetValue(model, out var exact))
        {
            return exact;
        }

        return Prices
            .Where(p => model.StartsWith(p.Key, StringComparison.OrdinalIgnoreCase))
            .OrderByDescending(p => p.Key.Length)
            .Select(p => p.Value)
            .FirstOrDefault();
    }
}

public sealed class ModelPrice
{
    public decimal InputPerMillionUsd { get; set; }

    public decimal OutputPerMillionUsd { get; set; }
}

public static class LlmProviders
{
    public const string None = "none";
    public const string OpenAI = "openai";
    public const string AzureOpenAI = "azure-openai";
    public const string Anthropic = "anthropic";
    public const string OpenAICompatible = "openai-compatible";

    public static readonly IReadOnlyList<string> All = [None, OpenAI, AzureOpenAI, Anthropic, OpenAICompatible];

    /// <summary>The environment variable each provider's own SDK and tools read the key from.</summary>
    public static string? KeyVariable(string provider) => provider switch
    {
        OpenAI => "OPENAI_API_KEY",
        AzureOpenAI => "AZURE_OPENAI_API_KEY",
        Anthropic => "ANTHROPIC_API_KEY",
        _ => null,
    };
}

/// <summary>Checks the options on start, each problem naming its field.</summary>
internal sealed class LlmOptionsValidator : IValidateOptions<LlmOptions>
{
    public ValidateOptionsResult Validate(string? name, LlmOptions options)
    {
        var problems = new List<string>();
        var field = LlmOptions.Section;
        if (!LlmProviders.All.Contains(options.Provider))
        {
            problems.Add($"{field}:Provider '{options.Provider}' is not one of: {string.Join(", ", LlmProviders.All)}.");
        }

        if (!options.IsConfigured || problems.Count > 0)
        {
            return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
        }

        if (string.IsNullOrWhiteSpace(options.Model))
        {
            problems.Add($"{field}:Model is required when Provider is '{options.Provider}'.");
        }

        if (options.Provider is LlmProviders.AzureOpenAI or LlmProviders.OpenAICompatible && options.Endpoint is null)
        {
            problems.Add($"{field}:Endpoint is required when Provider is '{options.Provider}'.");
        }

        if (options.Endpoint is { } endpoint && (!endpoint.IsAbsoluteUri || (endpoint.Scheme != Uri.UriSchemeHttps && endpoint.Scheme != Uri.UriSchemeHttp)))
        {
            problems.Add($"{field}:Endpoint must be an absolute http(s) URL.");
        }

        if (options.Provider != LlmProviders.OpenAICompatible && string.IsNullOrWhiteSpace(options.ApiKey))
        {
            problems.Add($"{field}:ApiKey is required when Provider is '{options.Provider}' (set Sift__Classification__Llm__ApiKey or {LlmProviders.KeyVariable(options.Provider)}).");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            problems.Add($"{field}:Timeout must be positive.");
        }

        if (options.MaxAttempts is < 1 or > 10)
        {
            problems.Add($"{field}:MaxAttempts must be between 1 and 10.");
        }

        if (options.RetryBaseDelay < TimeSpan.Zero)
        {
            problems.Add($"{field}:RetryBaseDelay must not be negative.");
        }

        if (options.BreakerFailureRatio is <= 0 or > 1)
        {
            problems.Add($"{field}:BreakerFailureRatio must be above 0 and at most 1.");
        }

        // Polly's own lower bounds, stated here so the message names the setting.
        if (options.BreakerMinimumThroughput < 2)
        {
            problems.Add($"{field}:BreakerMinimumThroughput must be at least 2.");
        }

        if (options.BreakerSamplingDuration < TimeSpan.FromMilliseconds(500))
        {
            problems.Add($"{field}:BreakerSamplingDuration must be at least 0.5 s.");
        }

        if (options.BreakerBreakDuration < TimeSpan.FromMilliseconds(500))
        {
            problems.Add($"{field}:BreakerBreakDuration must be at least 0.5 s.");
        }

        if (options.MaxEmailChars < 200)
        {
            problems.Add($"{field}:MaxEmailChars must be at least 200.");
        }

        if (options.MaxOutputTokens < 50)
        {
            problems.Add($"{field}:MaxOutputTokens must be at least 50.");
        }

        foreach (var (model, price) in options.Prices)
        {
            if (price is null || price.InputPerMillionUsd < 0 || price.OutputPerMillionUsd < 0)
            {
                problems.Add($"{field}:Prices:{model} needs non-negative InputPerMillionUsd and OutputPerMillionUsd.");
            }
        }

        return problems.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(problems);
    }
}
