using System.Text.Json.Nodes;

namespace Sift.Cli;

public sealed class PolicyCommandTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sift-policy-cli-").FullName;

    private static string Shipped(string file) => Path.Combine(AppContext.BaseDirectory, "policy", file);

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static async Task<(int Code, string Output, string Error)> Run(params string[] args)
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = await PolicyCommand.RunAsync(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    private string Write(string name, string content)
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, content);
        return path;
    }

    [Fact]
    public async Task Check_accepts_the_shipped_policy_and_prints_its_version()
    {
        var (code, output, _) = await Run("check", Shipped("policy.json"));

        Assert.Equal(0, code);
        Assert.Matches(@"is valid: policy sha256:[0-9a-f]{16}, 7 intents, 4 rules\.", output);
    }

    [Fact]
    public async Task Check_refuses_a_broken_policy_with_every_problem_and_its_json_path()
    {
        var policy = JsonNode.Parse(File.ReadAllText(Shipped("policy.json")))!;
        policy["intents"]!["pricing"]!["template"] = "pricing-v7";
        policy["timeZone"] = "Europe/Atlantis";
        var file = Write("broken.json", policy.ToJsonString());

        var (code, output, _) = await Run("check", file);

        Assert.Equal(1, code);
        Assert.Contains("error    $.intents.pricing.template: no template has the id 'pricing-v7'", output, StringComparison.Ordinal);
        Assert.Contains("error    $.timeZone: unknown time zone 'Europe/Atlantis'", output, StringComparison.Ordinal);
        Assert.Contains("is invalid: 2 error(s)", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Test_runs_the_shipped_cases_and_passes()
    {
        var (code, output, _) = await Run("test", Shipped("policy.json"), "--cases", Shipped("policy.cases.json"));

        Assert.Equal(0, code);
        Assert.Contains("10 passed, 0 failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_case_exits_1_with_a_readable_diff_and_the_explanation()
    {
        var cases = Write("cases.json", """
            [
              {
                "name": "the VIP gets an automatic reply",
                "from": "grace.kim@bigclient.example",
                "classification": { "intent": "pricing", "confidence": 0.97 },
                "expect": { "action": "auto", "owner": "sales-team", "rules": ["intent-autonomy", "allowlist"] }
              }
            ]
            """);

        var (code, output, _) = await Run("test", Shipped("policy.json"), "--cases", cases);

        Assert.Equal(1, code);
        Assert.Contains("  FAIL  the VIP gets an automatic reply", output, StringComparison.Ordinal);
        Assert.Contains("- action    expected auto, got review", output, StringComparison.Ordinal);
        Assert.Contains("- rules     expected allowlist among the matched rules, got intent-autonomy, vip", output, StringComparison.Ordinal);
        Assert.Contains("vip → review: grace.kim@bigclient.example is a VIP: never auto-sent", output, StringComparison.Ordinal);
        Assert.DoesNotContain("- owner", output, StringComparison.Ordinal);
        Assert.Contains("0 passed, 1 failed", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""[ { "from": "a@b.example", "classification": { "intent": "sales" }, "expect": { "action": "review" } } ]""", "$[0] (unnamed): name is required")]
    [InlineData("""[ { "name": "n", "from": "a@b.example", "classification": { "intent": "sales" }, "expect": { } } ]""", "$[0] (n): expect names nothing to check")]
    [InlineData("""[ { "name": "n", "from": "a@b.example", "classification": { "intent": "sales", "confidence": "high" }, "expect": { "action": "review" } } ]""", "not a valid cases file at $[0].classification.confidence")]
    [InlineData("""[]""", "holds no case")]
    public async Task A_malformed_cases_file_exits_2_naming_the_case_and_field(string content, string message)
    {
        var (code, _, error) = await Run("test", Shipped("policy.json"), "--cases", Write("cases.json", content));

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "check" }, "Usage: sift policy check FILE")]
    [InlineData(new[] { "lint", "x.json" }, "Usage: sift policy check FILE")]
    [InlineData(new[] { "test", "x.json" }, "policy test needs --cases")]
    [InlineData(new[] { "check", "/nonexistent/policy.json" }, "No policy file at '/nonexistent/policy.json'")]
    public async Task Wrong_usage_exits_2_with_a_message(string[] args, string message)
    {
        var (code, _, error) = await Run(args);

        Assert.Equal(2, code);
        Assert.Contains(message, error, StringComparison.Ordinal);
    }
}
