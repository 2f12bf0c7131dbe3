using System.Net;
using System.Net.Http.Json;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sift.Api;
using Sift.Policy;
using Sift.Storage;
using Sift.Tests.Integration.Classification.Llm;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Policy;

/// <summary>The policy document in the running service: loading, reloading, refusing, auditing and simulating.</summary>
public sealed class PolicyTests : IDisposable
{
    private readonly string folder = Directory.CreateTempSubdirectory("sift-policy-").FullName;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public void Dispose() => Directory.Delete(folder, recursive: true);

    private static string Shipped => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "policy", "policy.json"));

    private static string Edit(Action<JsonObject> change)
    {
        var node = JsonNode.Parse(Shipped)!.AsObject();
        change(node);
        return node.ToJsonString();
    }

    /// <summary>A policy file of the test's own, checked for changes every 100 ms.</summary>
    private Dictionary<string, string?> PolicyFile(string json, string name = "policy.json")
    {
        var path = Path.Combine(folder, name);
        File.WriteAllText(path, json);
        return new() { ["Sift:Policy:File"] = path, ["Sift:Policy:ReloadInterval"] = "00:00:00.100" };
    }

    private static async Task<PolicyView> WaitForPolicyAsync(SiftTestHost host, Func<PolicyView, bool> condition)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var view = (await host.CreateClient().GetFromJsonAsync<PolicyView>(new Uri("/api/policy", UriKind.Relative), Ct))!;
            if (condition(view))
            {
                return view;
            }

            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(20), $"The policy never reached the expected state; it is {view.Version} with history: {string.Join(" | ", view.History.Select(h => h.What))}");
            await Task.Delay(100, Ct);
        }
    }

    private static async Task<long> CountAsync(SiftTestHost host, string sql)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>(sql);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_changed_policy_file_is_loaded_while_running_recorded_in_the_audit_log_and_used_by_the_next_decision(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var settings = PolicyFile(Shipped);
        await using var host = new SiftTestHost(database, settings);
        var first = await WaitForPolicyAsync(host, v => v.History.Any(h => h.Step == "policy-load"));
        Assert.Contains("at start", first.History.Single().Why, StringComparison.Ordinal);

        // Scheduling stops being answered automatically.
        var changed = Edit(p => p["intents"]!["scheduling"]!["mode"] = "review");
        await File.WriteAllTextAsync(settings["Sift:Policy:File"]!, changed, Ct);
        var second = await WaitForPolicyAsync(host, v => v.Version != first.Version);

        Assert.Equal(PolicyLoader.VersionOf(System.Text.Encoding.UTF8.GetBytes(changed)), second.Version);
        var load = (await WaitForPolicyAsync(host, v => v.History.Count(h => h.Step == "policy-load") == 2)).History[0];
        Assert.Equal(second.Version, load.PolicyVersion);
        Assert.Contains($"replaces {first.Version}", load.Why, StringComparison.Ordinal);

        var id = await host.IngestAsync(TestMail.Sample("03-scheduling.eml"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);
        Assert.Equal("review", detail.Decision.Route);
        Assert.Equal(second.Version, detail.Audit.Single(a => a.Step == "route").PolicyVersion);
    }

    [Fact]
    public async Task An_invalid_policy_file_never_replaces_the_running_one_and_its_refusal_is_audited_with_the_problems()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var settings = PolicyFile(Shipped);
        await using var host = new SiftTestHost(database, settings);
        var running = await WaitForPolicyAsync(host, v => v.History.Count > 0);

        var broken = Edit(p => p["intents"]!["pricing"]!["minConfidence"] = "high");
        var brokenVersion = PolicyLoader.VersionOf(System.Text.Encoding.UTF8.GetBytes(broken));
        await File.WriteAllTextAsync(settings["Sift:Policy:File"]!, broken, Ct);
        var after = await WaitForPolicyAsync(host, v => v.History.Any(h => h.Step == "policy-rejected"));

        Assert.Equal(running.Version, after.Version);
        var refusal = Assert.Single(after.History, h => h.Step == "policy-rejected");
        Assert.Equal(brokenVersion, refusal.PolicyVersion);
        Assert.Contains($"{running.Version} keeps running", refusal.Why, StringComparison.Ordinal);
        Assert.Contains("$.intents.pricing.minConfidence", refusal.Data, StringComparison.Ordinal);

        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();
        Assert.Equal(running.Version, (await host.GetAsync(id)).Audit.Single(a => a.Step == "route").PolicyVersion);
    }

    [Fact]
    public async Task Dry_run_turned_on_while_a_draft_waits_for_review_holds_the_approved_reply()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var settings = PolicyFile(Shipped);
        await using var host = new SiftTestHost(database, settings);
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.AwaitingReview, (await host.GetAsync(id)).Status);
        var running = await WaitForPolicyAsync(host, v => v.History.Count > 0);

        await File.WriteAllTextAsync(settings["Sift:Policy:File"]!, Edit(p => p["dryRun"] = true), Ct);
        await WaitForPolicyAsync(host, v => v.Version != running.Version);
        using (await host.DecideAsync(id, "approve")) { }
        await host.RunWorkflowsAsync();

        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.DryRun, detail.Status);
        Assert.Equal("before the approved send: dry-run is on", detail.Audit.Single(a => a.Step == "send-gate-review").What);
        Assert.False(Directory.Exists(database.OutboxFolder) && Directory.GetFiles(database.OutboxFolder).Length > 0);
    }

    [Fact]
    public async Task A_host_with_retired_policy_settings_does_not_start_and_names_them()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Policy:Intents:pricing:Mode"] = "review" });

        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());

        Assert.Contains("Sift:Policy:Intents is no longer read", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_host_with_an_invalid_policy_does_not_start_and_names_the_file_and_the_problem()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var settings = PolicyFile(Edit(p => p["intents"]!["refunds"] = JsonNode.Parse("""{ "mode": "review" }""")));
        await using var host = new SiftTestHost(database, settings);

        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());

        var problem = error is PolicyLoadException ? error : error.InnerException;
        Assert.IsType<PolicyLoadException>(problem);
        Assert.Contains(settings["Sift:Policy:File"]!, problem.Message, StringComparison.Ordinal);
        Assert.Contains("$.intents.refunds: unknown intent 'refunds'", problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Simulating_a_stored_message_against_a_draft_policy_explains_the_decision_and_changes_nothing(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();
        var before = (await CountAsync(host, "SELECT COUNT(*) FROM audit_log"), await CountAsync(host, "SELECT COUNT(*) FROM messages"), Directory.GetFiles(database.OutboxFolder).Length);
        var draft = JsonNode.Parse(Edit(p => p["killSwitch"] = true));

        using var response = await host.CreateClient().PostAsJsonAsync(new Uri("/api/policy/simulate", UriKind.Relative), new { messageId = id, policy = draft }, Ct);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var result = (await response.Content.ReadFromJsonAsync<SimulationResult>(Ct))!;
        Assert.Equal("posted", result.Policy);
        Assert.Equal("stored", result.ClassificationSource);
        Assert.Equal("pricing", result.Classification.Intent);
        Assert.Equal("review", result.Decision.Action);
        Assert.Equal(["intent-autonomy", "kill-switch"], result.Decision.Explanation.Select(m => m.Rule).ToArray());
        Assert.Equal("pricing-v1", result.Decision.Template);
        Assert.NotEqual((await host.GetAsync(id)).Audit.Single(a => a.Step == "route").PolicyVersion, result.PolicyVersion);

        var after = (await CountAsync(host, "SELECT COUNT(*) FROM audit_log"), await CountAsync(host, "SELECT COUNT(*) FROM messages"), Directory.GetFiles(database.OutboxFolder).Length);
        Assert.Equal(before, after);
        Assert.Equal("auto", (await host.GetAsync(id)).Decision.Route);
    }

    [Fact]
    public async Task Simulating_a_posted_message_classifies_it_with_the_local_model_and_lays_the_given_fields_over_it()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        var message = new { from = "Grace Kim <grace.kim@bigclient.example>", subject = "Demo next week?", text = "Could we book a 30 minute demo next Tuesday?" };

        using var local = await host.CreateClient().PostAsJsonAsync(new Uri("/api/policy/simulate", UriKind.Relative), new { message, mailbox = "sales@contoso.example" }, Ct);
        using var given = await host.CreateClient().PostAsJsonAsync(
            new Uri("/api/policy/simulate", UriKind.Relative),
            new { message, mailbox = "sales@contoso.example", classification = new { intent = "pricing", flags = new[] { "legal" } } },
            Ct);

        var byModel = (await local.Content.ReadFromJsonAsync<SimulationResult>(Ct))!;
        Assert.Equal(("running", "local-model", "scheduling"), (byModel.Policy, byModel.ClassificationSource, byModel.Classification.Intent));
        Assert.Equal("review", byModel.Decision.Action);
        Assert.Contains(byModel.Decision.Explanation, m => m.Rule == "vip");
        var overlaid = (await given.Content.ReadFromJsonAsync<SimulationResult>(Ct))!;
        Assert.Equal(("local-model+given", "pricing"), (overlaid.ClassificationSource, overlaid.Classification.Intent));
        Assert.Equal(("human", "support-lead"), (overlaid.Decision.Action, overlaid.Decision.Owner));
        Assert.Contains(overlaid.Decision.Explanation, m => m.Rule == "legal-to-a-person");
        Assert.Equal(0, await CountAsync(host, "SELECT COUNT(*) FROM messages"));
    }

    [Fact]
    public async Task Simulating_with_an_invalid_policy_answers_400_naming_each_json_path()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        var broken = JsonNode.Parse(Edit(p =>
        {
            p["intents"]!["refunds"] = JsonNode.Parse("""{ "mode": "review" }""");
            p["rules"]!.AsArray().Add(JsonNode.Parse("""{ "name": "bad", "when": { "subject": "(" }, "then": { "action": "review" } }"""));
        }));

        using var response = await host.CreateClient().PostAsJsonAsync(
            new Uri("/api/policy/simulate", UriKind.Relative), new { message = new { from = "a@b.example", subject = "x", text = "y" }, mailbox = "support@contoso.example", policy = broken }, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        var errors = problem["errors"]!.AsObject();
        Assert.Contains("unknown intent 'refunds'", errors["policy.intents.refunds"]![0]!.GetValue<string>(), StringComparison.Ordinal);
        Assert.Contains("not a valid regular expression", errors["policy.rules[4].when.subject"]![0]!.GetValue<string>(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ }""", "messageId")]
    [InlineData("""{ "messageId": "6f1c2a8e-0000-4000-8000-000000000001", "message": { "from": "a@b.example" } }""", "messageId")]
    [InlineData("""{ "message": { "from": "a@b.example", "subject": "x", "text": "y" } }""", "mailbox")]
    [InlineData("""{ "message": { "from": "a@b.example", "subject": "x", "text": "y" }, "mailbox": "m", "classification": { "confidence": 3 } }""", "classification.confidence")]
    [InlineData("""{ "message": """, "body")]
    public async Task Bad_simulation_requests_get_problem_details_naming_the_field(string body, string field)
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);

        using var content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
        using var response = await host.CreateClient().PostAsync(new Uri("/api/policy/simulate", UriKind.Relative), content, Ct);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(Ct))!;
        Assert.True(problem["errors"]!.AsObject().ContainsKey(field), problem.ToJsonString());
    }

    [Fact]
    public async Task Simulating_an_unknown_message_answers_404()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);

        using var response = await host.CreateClient().PostAsJsonAsync(new Uri("/api/policy/simulate", UriKind.Relative), new { messageId = Guid.NewGuid() }, Ct);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    [Fact]
    public async Task The_published_schema_is_served()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);

        var schema = JsonNode.Parse(await host.CreateClient().GetStringAsync(new Uri("/api/policy/schema", UriKind.Relative), Ct))!;

        Assert.Equal("Sift routing policy", schema["title"]!.GetValue<string>());
        Assert.Equal(File.ReadAllText(Path.Combine(TestMail.RepoRoot, "policy", "policy.schema.json")), PolicyLoader.SchemaText());
    }

    [Fact]
    public async Task Under_pii_local_only_mail_with_personal_data_never_reaches_the_hosted_model()
    {
        await using var server = await FakeLlmServer.StartAsync();
        var settings = LlmTestHost.OpenAI(server);
        settings["Sift:Classification:LocalModel"] = string.Empty;
        foreach (var (key, value) in PolicyFile(Edit(p => p["pii"] = PiiHandling.LocalOnly)))
        {
            settings[key] = value;
        }

        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, settings);

        var id = await host.IngestAsync(TestMail.Raw(
            "pii-local@initech.example", subject: "Hello", body: "Hi there,\nmy colleague jane.doe@example.com suggested I write to you. My number is +1 415 555 0100.\n\nRegards, Max"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Empty(server.Requests);
        Assert.DoesNotContain(detail.Audit, a => a.Step == "classify-llm");
        Assert.Contains("pii", detail.Classification.PolicyFlags);
        Assert.Equal("human", detail.Decision.Route);
    }
}
