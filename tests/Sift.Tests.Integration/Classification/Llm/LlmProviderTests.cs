using Sift.Classification;

namespace Sift.Tests.Integration.Classification.Llm;

/// <summary>The other providers: Anthropic's Messages API at the local server, and the real APIs when a key is set.</summary>
public sealed class LlmProviderTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Anthropic_is_called_through_the_Messages_API_with_the_redacted_prompt_and_its_usage_is_counted()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.AnthropicMessage(LlmTestHost.Answer(intent: "complaint", flags: "[\"complaint\"]")));
        using var host = await LlmTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sift:Classification:Llm:Provider"] = "anthropic",
            ["Sift:Classification:Llm:Model"] = "claude-3-5-haiku-latest",
            ["Sift:Classification:Llm:Endpoint"] = server.BaseUrl,
            ["ANTHROPIC_API_KEY"] = "sk-ant-test",
        });

        var outcome = await LlmTestHost.Classifier(host).ClassifyAsync(LlmTestHost.Request("Charged twice", "My card 4111 1111 1111 1111 was charged twice. Reach me at jane.doe@example.com."), Ct);

        Assert.Equal("anthropic:claude-3-5-haiku-latest", outcome.Classification?.Model);
        Assert.Equal("complaint", outcome.Classification!.Intent);
        var call = Assert.Single(outcome.Calls);
        Assert.Equal((905L, 52L, false), (call.TokensIn, call.TokensOut, call.TokensEstimated));
        Assert.Equal(((905 * 0.80m) + (52 * 4.00m)) / 1_000_000m, call.CostUsd);

        var request = Assert.Single(server.Requests);
        Assert.Equal("/v1/messages", request.Path);
        var body = server.Bodies[0];
        Assert.Equal("claude-3-5-haiku-latest", body["model"]!.GetValue<string>());
        // The SDK's adapter sends the schema as Anthropic structured output; it has no temperature to send (see LlmClientFactory).
        var schema = body["output_config"]!["format"]!["schema"]!;
        Assert.Equal(TaxonomyOptions.Default().IntentNames, LlmTestHost.Strings(schema["properties"]!["intent"]!["enum"]));
        Assert.Null(body["temperature"]);
        Assert.Equal("Bearer sk-ant-test", request.Authorization);
        Assert.DoesNotContain("jane.doe@example.com", request.Body, StringComparison.Ordinal);
        Assert.DoesNotContain("4111", request.Body, StringComparison.Ordinal);
        Assert.StartsWith("You are an inbox triage assistant for Acme Analytics.", SystemText(body), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Anthropic_errors_go_through_the_same_retry_as_OpenAI_with_the_SDK_retries_off()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.ServerError(529));
        server.Script.Enqueue(FakeLlmServer.AnthropicMessage(LlmTestHost.Answer()));
        using var host = await LlmTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sift:Classification:Llm:Provider"] = "anthropic",
            ["Sift:Classification:Llm:Model"] = "claude-3-5-haiku-latest",
            ["Sift:Classification:Llm:Endpoint"] = server.BaseUrl,
            ["Sift:Classification:Llm:ApiKey"] = "sk-ant-test",
            ["Sift:Classification:Llm:RetryBaseDelay"] = "00:00:00.010",
        });

        var outcome = await LlmTestHost.Classifier(host).ClassifyAsync(LlmTestHost.Request("Login", "I cannot log in."), Ct);

        Assert.Equal("support", outcome.Classification?.Intent);
        Assert.Equal([(1, "http-529"), (2, "ok")], outcome.Calls.Select(c => (c.Attempt, c.Outcome)));
        Assert.Equal(2, server.Requests.Count);
    }

    [Fact]
    public async Task The_real_OpenAI_API_classifies_a_support_mail_within_the_taxonomy()
    {
        var key = Environment.GetEnvironmentVariable("OPENAI_API_KEY");
        Assert.SkipWhen(string.IsNullOrEmpty(key), "OPENAI_API_KEY is not set: the real OpenAI test needs a key (and spends a fraction of a cent).");
        using var host = await LlmTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sift:Classification:Llm:Provider"] = "openai",
            ["Sift:Classification:Llm:Model"] = "gpt-4o-mini",
            ["Sift:Classification:Llm:ApiKey"] = key,
        });

        await AssertRealAnswerAsync(host);
    }

    [Fact]
    public async Task The_real_Anthropic_API_classifies_a_support_mail_within_the_taxonomy()
    {
        var key = Environment.GetEnvironmentVariable("ANTHROPIC_API_KEY");
        Assert.SkipWhen(string.IsNullOrEmpty(key), "ANTHROPIC_API_KEY is not set: the real Anthropic test needs a key (and spends a fraction of a cent).");
        using var host = await LlmTestHost.StartAsync(new Dictionary<string, string?>
        {
            ["Sift:Classification:Llm:Provider"] = "anthropic",
            ["Sift:Classification:Llm:Model"] = "claude-3-5-haiku-latest",
            ["Sift:Classification:Llm:ApiKey"] = key,
        });

        await AssertRealAnswerAsync(host);
    }

    private static async Task AssertRealAnswerAsync(Microsoft.Extensions.Hosting.IHost host)
    {
        var outcome = await LlmTestHost.Classifier(host).ClassifyAsync(
            LlmTestHost.Request("Export broken", "Hi, since this morning the CSV export fails with error 500 for our whole team. Can you help?"), Ct);

        Assert.True(outcome.Classification is not null, outcome.Failure);
        Assert.Contains(outcome.Classification.Intent, TaxonomyOptions.Default().IntentNames);
        Assert.Contains(outcome.Owner!, TaxonomyOptions.Default().Owners);
        Assert.All(outcome.Calls, c => Assert.False(c.TokensEstimated));
        Assert.True(outcome.TotalCostUsd > 0);
    }

    /// <summary>Anthropic's <c>system</c> is a string or a list of text blocks.</summary>
    private static string SystemText(System.Text.Json.Nodes.JsonObject body) => body["system"] switch
    {
        System.Text.Json.Nodes.JsonArray blocks => string.Concat(blocks.Select(b => b!["text"]!.GetValue<string>())),
        { } text => text.GetValue<string>(),
        null => "",
    };
}
