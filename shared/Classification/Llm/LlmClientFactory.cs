using System.ClientModel;
using System.ClientModel.Primitives;
using System.Net.Http.Headers;
using Anthropic;
using Microsoft.Extensions.AI;
using Microsoft.Extensions.Options;
using OpenAI;

namespace Sift.Classification.Llm;

/// <summary>
/// Builds the <see cref="IChatClient"/> for the configured provider over the named HttpClient. The SDKs' own retries are
/// off: Sift's pipeline in the classifier is the only retry layer, so attempts, delays and the circuit are
/// counted in one place.
/// </summary>
public sealed class LlmClientFactory(IHttpClientFactory httpClients, IOptions<LlmOptions> options)
{
    public const string HttpClientName = "sift-llm";

    /// <summary>
    /// A client per call: cheap to build, and the HttpClient then comes from the factory each time, so its handler
    /// rotation (DNS changes) still works.
    /// </summary>
    public IChatClient Create()
    {
        var llm = options.Value;
        var http = httpClients.CreateClient(HttpClientName);
        return llm.Provider switch
        {
            LlmProviders.OpenAI or LlmProviders.AzureOpenAI or LlmProviders.OpenAICompatible => OpenAIChat(llm, http),
            LlmProviders.Anthropic => AnthropicChat(llm, http),
            _ => throw new InvalidOperationException($"{LlmOptions.Section}:Provider '{llm.Provider}' has no chat client."),
        };
    }

    private static IChatClient OpenAIChat(LlmOptions llm, HttpClient http)
    {
        var clientOptions = new OpenAIClientOptions
        {
            Transport = new HttpClientPipelineTransport(http),
            RetryPolicy = new ClientRetryPolicy(0),
            // Sift's per-attempt timeout is the one that fires; this only stops a stuck socket outliving it.
            NetworkTimeout = llm.Timeout + TimeSpan.FromSeconds(5),
        };
        if (llm.Endpoint is not null)
        {
            // Azure OpenAI's v1 API takes the plain OpenAI client with the resource's key; Ollama and the like ignore the key.
            clientOptions.Endpoint = llm.Endpoint;
        }

        // The SDK refuses an empty key; an OpenAI-compatible server without authentication takes any.
        var key = string.IsNullOrEmpty(llm.ApiKey) ? "unused" : llm.ApiKey;
        return new OpenAIClient(new ApiKeyCredential(key), clientOptions).GetChatClient(llm.Model).AsIChatClient();
    }

    /// <remarks>
    /// The Anthropic SDK (13.x) has no temperature on its message parameters, so ChatOptions.Temperature = 0 is not sent
    /// to Anthropic; the JSON schema goes out as structured output (<c>output_config.format</c>), which only the models
    /// that support structured outputs accept.
    /// </remarks>
    private static IChatClient AnthropicChat(LlmOptions llm, HttpClient http)
    {
        var client = new AnthropicClient
        {
            ApiKey = llm.ApiKey,
            HttpClient = http,
            MaxRetries = 0,
            Timeout = llm.Timeout + TimeSpan.FromSeconds(5),
        };
        if (llm.Endpoint is not null)
        {
            client = (AnthropicClient)client.WithOptions(o => o with { BaseUrl = llm.Endpoint.ToString().TrimEnd('/') });
        }

        return client.AsIChatClient(llm.Model, llm.MaxOutputTokens);
    }
}

/// <summary>
/// Sees each HTTP exchange with the provider, whatever the SDK: whether a request left, its status and its
/// Retry-After. The SDKs wrap errors in their own exception types; this gives the classifier one view of them.
/// </summary>
internal sealed class LlmHttpObserver(TimeProvider time) : DelegatingHandler
{
    /// <summary>The probe of the attempt in progress; the classifier sets a fresh one around each attempt.</summary>
    internal static readonly AsyncLocal<HttpProbe?> Current = new();

    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var probe = Current.Value;
        probe?.Sent = true;
        var response = await base.SendAsync(request, cancellationToken);
        if (probe is not null)
        {
            probe.Status = (int)response.StatusCode;
            probe.RetryAfter = RetryAfter(response.Headers.RetryAfter);
        }

        return response;
    }

    private TimeSpan? RetryAfter(RetryConditionHeaderValue? header) => header switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } => date - time.GetUtcNow() is var wait && wait > TimeSpan.Zero ? wait : TimeSpan.Zero,
        _ => null,
    };
}

/// <summary>What <see cref="LlmHttpObserver"/> saw during one attempt.</summary>
internal sealed class HttpProbe
{
    public bool Sent { get; set; }

    public int? Status { get; set; }

    public TimeSpan? RetryAfter { get; set; }
}
