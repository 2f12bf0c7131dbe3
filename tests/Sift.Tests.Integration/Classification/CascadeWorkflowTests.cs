using Sift.Storage;
using Sift.Tests.Integration.Classification.Llm;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Classification;

/// <summary>The classification cascade inside the whole pipeline: local model first, the hosted model (a local fake) when unsure.</summary>
public sealed class CascadeWorkflowTests
{
    // No keyword of the rules matches: the local answer is "other" at 0.3, under every intent's LocalMinConfidence.
    private const string UnsureBody = "Hi there,\nmy colleague jane.doe@example.com suggested I write to you. My number is +1 415 555 0100.\n\nRegards, Max";

    private static Dictionary<string, string?> Settings(FakeLlmServer server, bool rulesOnly)
    {
        var settings = LlmTestHost.OpenAI(server);
        settings["Sift:Classification:Llm:MaxAttempts"] = "2";
        // These tests count classification calls only; drafting's own model calls are tested under Drafting.
        settings["Sift:Drafting:Grounded"] = "false";
        if (rulesOnly)
        {
            settings["Sift:Classification:LocalModel"] = string.Empty;
        }

        return settings;
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task An_unsure_local_answer_asks_the_hosted_model_with_the_mail_redacted_and_stores_its_cost(string engine)
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.Completion(LlmTestHost.Answer(intent: "scheduling", urgency: "normal", owner: "sales-team", confidence: "0.9")));
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, Settings(server, rulesOnly: true));

        var id = await host.IngestAsync(TestMail.Raw("cascade-1@initech.example", subject: "Hello", body: UnsureBody));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Equal(["ingest", "prefilter", "classify-local", "classify-llm", "classify-choice", "route"], detail.Audit.Select(a => a.Step).Take(6).ToArray());
        var local = detail.Audit.Single(a => a.Step == "classify-local");
        Assert.Contains("the hosted model is asked", local.Why, StringComparison.Ordinal);
        var hosted = detail.Audit.Single(a => a.Step == "classify-llm");
        Assert.Equal("openai:gpt-4o-mini", hosted.ModelVersion);
        Assert.Contains("[EMAIL_1]", hosted.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("jane.doe@example.com", hosted.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("555 0100", hosted.Data, StringComparison.Ordinal);
        Assert.DoesNotContain("jane.doe@example.com", Assert.Single(server.Requests).Body, StringComparison.Ordinal);
        var choice = detail.Audit.Single(a => a.Step == "classify-choice");
        Assert.Equal("chose the llm answer: scheduling", choice.What);
        Assert.Equal("openai:gpt-4o-mini", choice.ModelVersion);

        Assert.Equal(("scheduling", 0.9), (detail.Classification.Intent, detail.Classification.Confidence));
        var call = Assert.Single(detail.Cost.Calls);
        Assert.Equal(("openai", "gpt-4o-mini", "classify", 812, 41, false, "ok"), (call.Provider, call.Model, call.Purpose, call.TokensIn, call.TokensOut, call.TokensEstimated, call.Outcome));
        var expected = ((812 * 0.15m) + (41 * 0.60m)) / 1_000_000m;
        Assert.Equal(expected, call.CostUsd, 8);
        Assert.Equal(expected, detail.Cost.CostUsd, 8);
        Assert.Equal((812L, 41L), (detail.Cost.TokensIn, detail.Cost.TokensOut));
        Assert.Equal(MessageStatus.AutoSent, detail.Status);

        var metrics = await host.CreateClient().GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Contains("sift_model_tokens_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("sift_model_cost_USD_total{", metrics, StringComparison.Ordinal);
        Assert.Contains("sift_model_call_duration_seconds_bucket{", metrics, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_hosted_model_that_keeps_failing_sends_the_message_to_a_human_and_every_attempt_is_accounted_for()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.ServerError());
        server.Script.Enqueue(FakeLlmServer.ServerError());
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, Settings(server, rulesOnly: true));

        var id = await host.IngestAsync(TestMail.Raw("cascade-2@initech.example", subject: "Hello", body: UnsureBody));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Equal(MessageStatus.Assigned, detail.Status);
        Assert.Equal("human", detail.Decision.Route);
        Assert.Contains(detail.Decision.Explanation, m => m.Rule == "classifier-failed" && m.Effect == "human");
        Assert.Equal("chose the failed answer: other", detail.Audit.Single(a => a.Step == "classify-choice").What);
        Assert.Equal(["http-503", "http-503"], detail.Cost.Calls.Select(c => c.Outcome).ToArray());
        Assert.Equal(0m, detail.Cost.CostUsd);
        Assert.Equal("openai:gpt-4o-mini", detail.Audit.Single(a => a.Step == "classify-llm").ModelVersion);
        Assert.Null(detail.Draft);
    }

    [Fact]
    public async Task A_confident_local_answer_never_calls_the_hosted_model()
    {
        await using var server = await FakeLlmServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, Settings(server, rulesOnly: false));

        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Empty(server.Requests);
        Assert.DoesNotContain(detail.Audit, a => a.Step is "classify-llm" or "classify-choice");
        Assert.Contains("reaches the intent's", detail.Audit.Single(a => a.Step == "classify-local").Why, StringComparison.Ordinal);
        Assert.Empty(detail.Cost.Calls);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
    }

    [Fact]
    public async Task A_completed_hosted_call_is_not_repeated_when_the_workflow_runs_again()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.Completion(LlmTestHost.Answer(intent: "support", urgency: "normal", owner: "support-team", confidence: "0.9")));
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        Guid id;
        await using (var first = new SiftTestHost(database, Settings(server, rulesOnly: true)))
        {
            id = await first.IngestAsync(TestMail.Raw("cascade-3@initech.example", subject: "Hello", body: UnsureBody));
            await first.RunWorkflowsAsync();
            Assert.Equal(MessageStatus.AwaitingReview, (await first.GetAsync(id)).Status);
        }

        // A new host (a restarted worker) resumes the waiting review: the recorded answer is replayed, not asked for again.
        await using var second = new SiftTestHost(database, Settings(server, rulesOnly: true));
        using (await second.DecideAsync(id, "approve")) { }
        await second.RunWorkflowsAsync();

        var detail = await second.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, detail.Status);
        Assert.Single(server.Requests);
        Assert.Single(detail.Cost.Calls);
    }
}

/// <summary>The local model is loaded when the host starts: a bad file stops the start and names itself.</summary>
public sealed class LocalModelStartTests
{
    [Fact]
    public async Task A_missing_model_file_stops_the_start_with_its_path()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var missing = Path.Combine(Path.GetTempPath(), $"sift-missing-{Guid.NewGuid():N}.siftmodel");
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Classification:LocalModel"] = missing });

        var error = Assert.Throws<InvalidDataException>(() => host.Services);

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_model_setting_classifies_with_the_keyword_rules()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Classification:LocalModel"] = string.Empty });

        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();

        var classify = (await host.GetAsync(id)).Audit.Single(a => a.Step == "classify-local");
        Assert.Equal("rules-v1", classify.ModelVersion);
    }
}
