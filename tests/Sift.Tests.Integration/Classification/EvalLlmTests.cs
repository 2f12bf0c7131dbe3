using System.Text.Json.Nodes;
using Sift.Cli;
using Sift.Tests.Integration.Classification.Llm;

namespace Sift.Tests.Integration.Classification;

/// <summary><c>sift eval --llm</c> scores the hosted classifier, here a local Chat Completions server playing answers.</summary>
public sealed class EvalLlmTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sift-eval-llm-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    private string Config(FakeLlmServer server)
    {
        var settings = new JsonObject
        {
            ["Sift"] = new JsonObject
            {
                ["Classification"] = new JsonObject
                {
                    ["Llm"] = new JsonObject
                    {
                        ["Provider"] = "openai",
                        ["Model"] = "gpt-4o-mini",
                        ["Endpoint"] = $"{server.BaseUrl}/v1",
                        ["ApiKey"] = "sk-test-key",
                        ["MaxAttempts"] = 1,
                    },
                },
            },
        };
        var path = Path.Combine(_folder, "llm.json");
        File.WriteAllText(path, settings.ToJsonString());
        return path;
    }

    [Fact]
    public async Task The_hosted_model_is_scored_through_the_same_classifier_the_service_uses()
    {
        await using var server = await FakeLlmServer.StartAsync();
        var data = Path.Combine(_folder, "data.jsonl");
        await File.WriteAllLinesAsync(data, [
            """{"id":"1","body":"How much is the Business plan?","label":"pricing"}""",
            """{"id":"2","body":"Can we meet on Tuesday?","label":"scheduling"}""",
            """{"id":"3","body":"The export is broken","label":"support"}""",
        ], TestContext.Current.CancellationToken);
        // The lines are sent in parallel, so every scripted answer is the same: pricing, right for one line of three.
        for (var i = 0; i < 3; i++)
        {
            server.Script.Enqueue(FakeLlmServer.Completion(LlmTestHost.Answer(intent: "pricing", confidence: "0.9")));
        }

        var reportPath = Path.Combine(_folder, "report.json");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(["--data", data, "--llm", "--config", Config(server), "--out", reportPath], output, error);

        Assert.True(code == 0, error.ToString());
        Assert.Equal(3, server.Requests.Count);
        var report = JsonNode.Parse(await File.ReadAllTextAsync(reportPath, TestContext.Current.CancellationToken))!;
        Assert.Equal(("llm", "openai:gpt-4o-mini", 3), (report["predictor"]!.GetValue<string>(), report["predictorVersion"]!.GetValue<string>(), report["items"]!.GetValue<int>()));
        Assert.Equal(1.0 / 3, report["accuracy"]!.GetValue<double>(), 1e-9);
    }

    [Fact]
    public async Task A_failed_answer_counts_as_the_unknown_intent_at_zero_confidence()
    {
        await using var server = await FakeLlmServer.StartAsync();
        var data = Path.Combine(_folder, "data.jsonl");
        await File.WriteAllLinesAsync(data, ["""{"id":"1","body":"Who handles press enquiries?","label":"other"}"""], TestContext.Current.CancellationToken);
        server.Script.Enqueue(FakeLlmServer.ServerError(500));
        var reportPath = Path.Combine(_folder, "report.json");
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(["--data", data, "--llm", "--config", Config(server), "--out", reportPath], output, error);

        Assert.True(code == 0, error.ToString());
        var report = JsonNode.Parse(await File.ReadAllTextAsync(reportPath, TestContext.Current.CancellationToken))!;
        // "other" is right, but at confidence 0: the calibration error is the whole gap.
        Assert.Equal(1.0, report["accuracy"]!.GetValue<double>());
        Assert.Equal(1.0, report["expectedCalibrationError"]!.GetValue<double>(), 1e-9);
    }

    [Fact]
    public async Task Without_a_configured_provider_the_command_says_how_to_configure_one()
    {
        var data = Path.Combine(_folder, "data.jsonl");
        await File.WriteAllLinesAsync(data, ["""{"body":"hello","label":"other"}"""], TestContext.Current.CancellationToken);
        var config = Path.Combine(_folder, "none.json");
        await File.WriteAllTextAsync(config, """{"Sift":{"Classification":{"Llm":{"Provider":"none"}}}}""", TestContext.Current.CancellationToken);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(["--data", data, "--llm", "--config", config], output, error);

        Assert.Equal(2, code);
        Assert.Contains("no LLM configured: set Sift:Classification:Llm:Provider", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_llm_settings_are_named()
    {
        var data = Path.Combine(_folder, "data.jsonl");
        await File.WriteAllLinesAsync(data, ["""{"body":"hello","label":"other"}"""], TestContext.Current.CancellationToken);
        var config = Path.Combine(_folder, "bad.json");
        await File.WriteAllTextAsync(config, """{"Sift":{"Classification":{"Llm":{"Provider":"openai-compatible","Model":"llama3"}}}}""", TestContext.Current.CancellationToken);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(["--data", data, "--llm", "--config", config], output, error);

        Assert.Equal(2, code);
        Assert.Contains("The LLM settings are invalid", error.ToString(), StringComparison.Ordinal);
        Assert.Contains("Endpoint", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{ not json")]
    [InlineData("""{"Sift":{"Classification":{"Llm":{"Provider":"openai","Model":"gpt-4o-mini","ApiKey":"k","Timeout":"ten"}}}}""")]
    public async Task An_unreadable_settings_file_exits_2_with_the_reason(string settings)
    {
        var data = Path.Combine(_folder, "data.jsonl");
        await File.WriteAllLinesAsync(data, ["""{"body":"hello","label":"other"}"""], TestContext.Current.CancellationToken);
        var config = Path.Combine(_folder, "broken.json");
        await File.WriteAllTextAsync(config, settings, TestContext.Current.CancellationToken);
        using var output = new StringWriter();
        using var error = new StringWriter();

        var code = await EvalCommand.RunAsync(["--data", data, "--llm", "--config", config], output, error);

        Assert.Equal(2, code);
        Assert.Contains("The LLM settings could not be read", error.ToString(), StringComparison.Ordinal);
    }
}
