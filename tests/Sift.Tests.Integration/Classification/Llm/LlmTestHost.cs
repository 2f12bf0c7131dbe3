using System.Collections.Immutable;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sift.Classification.Llm;
using Sift.Mail;

namespace Sift.Tests.Integration.Classification.Llm;

/// <summary>A host with only <c>AddSiftLlm</c>, configured like production but pointed at the fake server.</summary>
internal static class LlmTestHost
{
    /// <summary>Settings for the OpenAI provider at the fake server, with short delays so retries take milliseconds.</summary>
    public static Dictionary<string, string?> OpenAI(FakeLlmServer server) => new()
    {
        ["Sift:Classification:Llm:Provider"] = "openai",
        ["Sift:Classification:Llm:Model"] = "gpt-4o-mini",
        ["Sift:Classification:Llm:Endpoint"] = $"{server.BaseUrl}/v1",
        ["Sift:Classification:Llm:ApiKey"] = "sk-test-key",
        ["Sift:Classification:Llm:Timeout"] = "00:00:05",
        ["Sift:Classification:Llm:RetryBaseDelay"] = "00:00:00.010",
    };

    public static async Task<IHost> StartAsync(IDictionary<string, string?> settings, TimeProvider? time = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(settings);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        // As the service defaults do in production: the LLM client must drop this handler, or it would retry under Sift's policy.
        builder.Services.ConfigureHttpClientDefaults(http => http.AddStandardResilienceHandler());
        builder.AddSiftLlm();
        var host = builder.Build();
        await host.StartAsync(TestContext.Current.CancellationToken);
        return host;
    }

    public static LlmClassifier Classifier(IHost host) =>
        host.Services.GetRequiredService<LlmAvailability>().Classifier ?? throw new InvalidOperationException("No LLM configured.");

    public static LlmRequest Request(string subject, string text, string? crm = null) => new()
    {
        Company = "Acme Analytics",
        Message = new InboundMessage
        {
            InternetMessageId = "<m1@example.com>",
            From = new EmailAddress("jane.doe@example.com", "Jane Doe"),
            Subject = subject,
            ReceivedAt = new DateTimeOffset(2026, 12, 1, 6, 0, 0, TimeSpan.Zero),
            ThreadId = "<m1@example.com>",
            Text = text,
        },
        CrmContext = crm,
        PolicyLines = ["Refund requests always go to a human."],
        LocalGuess = new Sift.Classification.IntentPrediction("support", 0.41, []),
    };

    /// <summary>A valid answer in the taxonomy, as the model would write it.</summary>
    public static string Answer(string intent = "support", string urgency = "high", string owner = "support-team", string flags = "[]", string confidence = "0.86") =>
        $$"""{"intent":"{{intent}}","urgency":"{{urgency}}","owner":"{{owner}}","policy_flags":{{flags}},"confidence":{{confidence}},"rationale":"The sender reports a double charge on [CARD_1]."}""";

    public static ImmutableArray<string> Strings(System.Text.Json.Nodes.JsonNode? array) => [.. array!.AsArray().Select(n => n!.GetValue<string>())];
}
