using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Templates;

/// <summary>The lint inside the whole pipeline: a draft it finds fault with is not sent automatically but reviewed, with the reasons.</summary>
public sealed class LintPipelineTests
{
    [Fact]
    public async Task A_template_that_makes_a_promise_it_does_not_carry_turns_the_auto_send_into_a_review_with_the_reasons()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        using var folder = await TemplateFolder.CopyWithAsync("pricing.en.hbs",
            text => text.Replace("Best regards,", "We guarantee you the lowest price on the market.\n\nBest regards,", StringComparison.Ordinal));
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Templates:Folder"] = folder.Path });

        var id = await host.IngestAsync(TestMail.Sample("04-pricing.eml"));
        await host.RunWorkflowsAsync();

        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, detail.Status);
        Assert.Equal("review", detail.Decision.Route);
        var lint = Assert.Single(detail.Decision.Explanation, m => m.Rule == "lint");
        Assert.Contains("commitment: 'guarantee'", lint.Reason, StringComparison.Ordinal);
        Assert.Contains(detail.Audit, a => a.Step == "draft" && a.Why is { } why && why.Contains("commitment: 'guarantee'", StringComparison.Ordinal));
        Assert.False(Directory.Exists(database.OutboxFolder) && Directory.GetFiles(database.OutboxFolder).Length > 0);
    }
}
