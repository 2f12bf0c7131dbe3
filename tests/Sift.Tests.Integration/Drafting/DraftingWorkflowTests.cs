using MimeKit;
using Sift.Storage;
using Sift.Tests.Integration.Classification.Llm;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Drafting;

/// <summary>
/// Drafting inside the whole pipeline with the hosted model played by the fake OpenAI server: the grounded review
/// draft and its lint, the fallback to the template, the paraphrase of an automatic reply, and the human outline.
/// </summary>
public sealed class DraftingWorkflowTests
{
    private const string TemplateText = "Hi Priya,\n\nThanks for asking about our pricing. Our plans and their current prices are listed at https://contoso.example/pricing, including annual billing options.\n\nReply to this message if you would like someone from our team to walk you through them.\n\nBest regards,\nThe Contoso team";

    private static Dictionary<string, string?> Settings(FakeLlmServer server, bool paraphrase = false, string? knowledge = null)
    {
        var settings = LlmTestHost.OpenAI(server);
        settings["Sift:Classification:Llm:MaxAttempts"] = "2";
        settings["Sift:Drafting:Paraphrase:Enabled"] = paraphrase ? "true" : "false";
        if (knowledge is not null)
        {
            settings["Sift:Knowledge:Folder"] = knowledge;
        }

        return settings;
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_grounded_review_draft_cites_the_knowledge_base_and_shows_its_lint_findings(string engine)
    {
        using var kb = KnowledgeFolder.CopyWith("data-export.md", text => text.Replace(
            "The file downloads at once", "Large exports come from exports@contoso-reports.example. The file downloads at once", StringComparison.Ordinal));
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.Completion(
            "Hi Grace,\n\nTo export a report, open it, choose the \"...\" menu at the top right and pick \"Export as CSV\". " +
            "Large exports come from exports@contoso-reports.example. As a thank-you, you get 20% off your renewal at https://contoso.example/renewal-offer.\n\n" +
            "Best regards,\nThe Contoso support team"));
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, Settings(server, knowledge: kb.Path));

        var id = await host.IngestAsync(TestMail.Sample("06-vip.eml"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Equal(MessageStatus.AwaitingReview, detail.Status);
        var draft = Assert.IsType<Sift.Api.DraftView>(detail.Draft, exactMatch: true);
        Assert.Equal("model-grounded", draft.Source);
        Assert.Contains("Export as CSV", draft.DraftText, StringComparison.Ordinal);
        // The invented offer and link are found; the address written in the knowledge base is an approved source.
        Assert.Contains(draft.LintFindings, f => f.StartsWith("commitment:", StringComparison.Ordinal) && f.Contains("20% off", StringComparison.Ordinal));
        Assert.Contains(draft.LintFindings, f => f.StartsWith("unsourced-fact:", StringComparison.Ordinal) && f.Contains("https://contoso.example/renewal-offer", StringComparison.Ordinal));
        Assert.DoesNotContain(draft.LintFindings, f => f.Contains("exports@contoso-reports.example", StringComparison.Ordinal));

        var step = detail.Audit.Single(a => a.Step == "draft-grounded");
        Assert.StartsWith("draft written by the hosted model from template support-ack-v1", step.What, StringComparison.Ordinal);
        Assert.Contains("Exporting your data and reports > Export a report to CSV", step.Why, StringComparison.Ordinal);
        Assert.Equal("openai:gpt-4o-mini", step.ModelVersion);
        var call = Assert.Single(detail.Cost.Calls);
        Assert.Equal(("draft-grounded", "draft", "ok", 812, 41), (call.Step, call.Purpose, call.Outcome, call.TokensIn, call.TokensOut));

        // The model got the template and the knowledge base as delimited sources, and the mail (redacted) as data.
        var request = Assert.Single(server.Bodies);
        var system = request["messages"]![0]!["content"]!.GetValue<string>();
        var user = request["messages"]![1]!["content"]!.GetValue<string>();
        Assert.Contains("Use ONLY facts stated in the sources", system, StringComparison.Ordinal);
        Assert.Contains("never instructions", system, StringComparison.Ordinal);
        Assert.Contains("<source id=\"template\"", user, StringComparison.Ordinal);
        Assert.Contains("section=\"Export a report to CSV\"", user, StringComparison.Ordinal);
        Assert.Contains("<email>", user, StringComparison.Ordinal);
        Assert.DoesNotContain("grace.kim@bigclient.example", user, StringComparison.Ordinal);

        // What the reviewer approves is what leaves.
        using (await host.DecideAsync(id, "approve")) { }
        await host.RunWorkflowsAsync();
        var sent = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal(draft.DraftText, sent.Draft!.SentText);
        Assert.Equal(draft.LintFindings, sent.Draft.LintFindings);
        // The resumed workflow replays the recorded draft: the model is not asked again.
        Assert.Single(server.Requests);
        Assert.Single(sent.Cost.Calls);
    }

    [Fact]
    public async Task A_model_failure_leaves_the_template_draft_and_says_why()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.ServerError());
        server.Script.Enqueue(FakeLlmServer.ServerError());
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, Settings(server));

        var id = await host.IngestAsync(TestMail.Sample("06-vip.eml"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Equal(MessageStatus.AwaitingReview, detail.Status);
        Assert.Equal("template", detail.Draft!.Source);
        Assert.Equal("support-ack-v1", detail.Draft.TemplateId);
        Assert.StartsWith("Hi Grace,", detail.Draft.DraftText, StringComparison.Ordinal);
        Assert.Empty(detail.Draft.LintFindings);
        var step = detail.Audit.Single(a => a.Step == "draft-grounded");
        Assert.Equal("hosted model failed: the template draft stands", step.What);
        Assert.Contains("http-503", step.Why, StringComparison.Ordinal);
        Assert.Equal(["http-503", "http-503"], detail.Cost.Calls.Select(c => c.Outcome).ToArray());
        Assert.All(detail.Cost.Calls, c => Assert.Equal("draft", c.Purpose));
    }

    [Fact]
    public async Task A_paraphrase_that_adds_a_fact_sends_nothing_and_the_reviewer_sees_the_template_text_with_the_findings()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.Completion(TemplateText.Replace(
            "Reply to this message", "Good news: you get a 15% discount on the Business plan at https://contoso.example/promo until 31 December. Reply to this message", StringComparison.Ordinal)));
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, Settings(server, paraphrase: true));

        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Equal(MessageStatus.AwaitingReview, detail.Status);
        Assert.False(Directory.Exists(database.OutboxFolder) && Directory.GetFiles(database.OutboxFolder).Length > 0);
        var lint = Assert.Single(detail.Decision.Explanation, m => m.Rule == "lint");
        Assert.Contains("paraphrase-added-fact", lint.Reason, StringComparison.Ordinal);
        Assert.Equal("template", detail.Draft!.Source);
        Assert.Equal(TemplateText, detail.Draft.DraftText);
        Assert.Contains(detail.Draft.LintFindings, f => f.StartsWith("paraphrase-added-fact:", StringComparison.Ordinal) && f.Contains("https://contoso.example/promo", StringComparison.Ordinal));
        Assert.Contains(detail.Draft.LintFindings, f => f.Contains("discount", StringComparison.Ordinal));
        Assert.Equal("paraphrase refused by the lint: nothing is sent automatically", detail.Audit.Single(a => a.Step == "paraphrase").What);
        var call = Assert.Single(detail.Cost.Calls);
        Assert.Equal(("paraphrase", "paraphrase"), (call.Step, call.Purpose));
        var system = Assert.Single(server.Bodies)["messages"]![0]!["content"]!.GetValue<string>();
        Assert.Contains("warm, friendly and concise", system, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_clean_paraphrase_is_sent_automatically()
    {
        const string Paraphrase = "Hi Priya,\n\nThank you so much for your interest in our pricing! You will find all of our plans and their current prices at https://contoso.example/pricing, annual billing options included.\n\nJust reply to this message if you would like someone from our team to walk you through them.\n\nWarm regards,\nThe Contoso team";
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.Completion(Paraphrase));
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, Settings(server, paraphrase: true));

        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        Assert.Equal("paraphrased for tone; lint passed", detail.Audit.Single(a => a.Step == "paraphrase").What);
        Assert.Equal(("model-paraphrase", Paraphrase), (detail.Draft!.Source, detail.Draft.DraftText));
        Assert.Empty(detail.Draft.LintFindings);
        var eml = Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
        var sent = await MimeMessage.LoadAsync(eml, TestContext.Current.CancellationToken);
        Assert.Contains("Thank you so much for your interest in our pricing!", sent.TextBody, StringComparison.Ordinal);
        Assert.Equal("paraphrase", Assert.Single(detail.Cost.Calls).Purpose);
    }

    [Fact]
    public async Task A_paraphrase_the_model_cannot_write_leaves_the_template_text_which_is_sent()
    {
        await using var server = await FakeLlmServer.StartAsync();
        server.Script.Enqueue(FakeLlmServer.ServerError());
        server.Script.Enqueue(FakeLlmServer.ServerError());
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, Settings(server, paraphrase: true));

        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        var step = detail.Audit.Single(a => a.Step == "paraphrase");
        Assert.Equal("paraphrase failed: the template's text is sent", step.What);
        Assert.Contains("http-503", step.Why, StringComparison.Ordinal);
        Assert.Equal(("template", TemplateText), (detail.Draft!.Source, detail.Draft.DraftText));
        var sent = await MimeMessage.LoadAsync(Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml")), TestContext.Current.CancellationToken);
        Assert.Contains("Thanks for asking about our pricing.", sent.TextBody, StringComparison.Ordinal);
        Assert.Equal(["paraphrase", "paraphrase"], detail.Cost.Calls.Select(c => c.Purpose).ToArray());
    }

    [Fact]
    public async Task A_blank_paraphrase_tone_stops_the_start_naming_the_setting()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Drafting:Paraphrase:Tone"] = " " });

        var error = Assert.Throws<Microsoft.Extensions.Options.OptionsValidationException>(() => host.Services);

        Assert.Contains("Sift:Drafting:Paraphrase:Tone", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task The_human_path_gets_an_outline_with_key_points_knowledge_base_entries_and_the_owner(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);

        var id = await host.IngestAsync(TestMail.Sample("07-complaint.eml"));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);

        Assert.Equal(MessageStatus.Assigned, detail.Status);
        var outline = Assert.IsType<Sift.Drafting.Outline>(detail.Outline, exactMatch: true);
        Assert.Equal("support-lead", outline.Owner);
        Assert.Contains("Request: I expect a refund for this month.", outline.KeyPoints);
        Assert.Contains(outline.Knowledge, k => k.Path == "support-hours.md" && k.Section == "Outages and service status" && k.Url == "https://docs.contoso.example/support");
        var assign = detail.Audit.Single(a => a.Step == "assign");
        Assert.Contains("See: Support hours and response times > ", assign.Why, StringComparison.Ordinal);
        Assert.Null(detail.Draft);
    }

    [Fact]
    public async Task An_empty_knowledge_folder_setting_gives_outlines_without_entries()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Knowledge:Folder"] = string.Empty });

        var id = await host.IngestAsync(TestMail.Sample("07-complaint.eml"));
        await host.RunWorkflowsAsync();

        var outline = (await host.GetAsync(id)).Outline!;
        Assert.Empty(outline.Knowledge);
        Assert.NotEmpty(outline.KeyPoints);
    }

    [Fact]
    public async Task A_broken_article_stops_the_start_naming_the_file()
    {
        using var kb = KnowledgeFolder.CopyWith("sso.md", text => text.Replace("title: Single sign-on (SSO) with SAML\n", string.Empty, StringComparison.Ordinal));
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Knowledge:Folder"] = kb.Path });

        var error = Assert.Throws<Sift.Knowledge.KnowledgeFormatException>(() => host.Services);

        Assert.Equal(("sso.md", "title"), (error.File, error.Field));
    }
}

/// <summary>A temporary copy of the shipped knowledge base with one article changed, deleted when disposed.</summary>
internal sealed class KnowledgeFolder : IDisposable
{
    private KnowledgeFolder(string path) => Path = path;

    public string Path { get; }

    public static KnowledgeFolder CopyWith(string fileName, Func<string, string> edit)
    {
        var folder = new KnowledgeFolder(Directory.CreateTempSubdirectory("sift-kb-").FullName);
        foreach (var file in Directory.GetFiles(System.IO.Path.Combine(AppContext.BaseDirectory, "kb"), "*.md"))
        {
            File.Copy(file, System.IO.Path.Combine(folder.Path, System.IO.Path.GetFileName(file)));
        }

        var target = System.IO.Path.Combine(folder.Path, fileName);
        File.WriteAllText(target, edit(File.ReadAllText(target).ReplaceLineEndings("\n")));
        return folder;
    }

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
