namespace Sift.Knowledge;

public sealed class KnowledgeBaseTests
{
    private static readonly KnowledgeBase Shipped = KnowledgeBase.Load(Path.Combine(AppContext.BaseDirectory, "kb"));

    private const string Article = """
        ---
        title: Exporting your data
        url: https://docs.contoso.example/export
        tags: [export, csv]
        ---
        # Exporting your data

        ## Export a report
        Open the report and choose Export as CSV.

        ## Scheduled exports
        Owners can schedule weekly exports.
        """;

    [Theory]
    [InlineData("Can I get a copy of last month's invoice?", "billing-invoices.md", "Download an invoice")]
    [InlineData("How do I set up SAML with Okta?", "sso.md", "Configure SAML")]
    [InlineData("We keep getting 429 errors from the API", "api-rate-limits.md", "What happens when you exceed the limit")]
    [InlineData("I forgot my password and cannot log in", "password-reset.md", "Reset a forgotten password")]
    [InlineData("How do I export a report as a CSV file?", "data-export.md", "Export a report to CSV")]
    public void The_section_that_answers_a_question_ranks_first(string question, string path, string section)
    {
        var hits = Shipped.Search(question, topK: 3, minScore: 5.0);

        var best = Assert.IsType<KbHit>(hits.FirstOrDefault(), exactMatch: true);
        Assert.Equal((path, section), (best.Path, best.Section));
        Assert.True(best.Score >= 5.0);
        Assert.NotEmpty(best.Excerpt);
    }

    [Theory]
    [InlineData("The weather in Paris was lovely and my cat enjoyed the garden party.")]
    [InlineData("Lunch on Friday? The new Italian place downtown looks good.")]
    [InlineData("Hi, I would like to schedule a 30-minute demo next week, Tuesday or Thursday afternoon (CET).")]
    public void Mail_on_another_topic_finds_nothing(string text)
    {
        Assert.Empty(Shipped.Search(text, topK: 3, minScore: 5.0));
    }

    [Fact]
    public void A_hit_names_the_article_its_section_file_and_link()
    {
        var kb = KnowledgeBase.FromFiles([("reports/export.md", Article)]);

        var hit = Assert.Single(kb.Search("export schedule weekly", topK: 1, minScore: 0));

        Assert.Equal(("Exporting your data", "Scheduled exports", "reports/export.md", "https://docs.contoso.example/export"), (hit.Title, hit.Section, hit.Path, hit.Url));
        Assert.Equal("Owners can schedule weekly exports.", hit.Text);
    }

    [Fact]
    public void Sections_are_split_by_heading_and_headings_without_text_are_dropped()
    {
        var article = KnowledgeBase.Parse("export.md", Article);

        Assert.Equal(["Export a report", "Scheduled exports"], article.Sections.Select(s => s.Heading).ToArray());
        Assert.Equal(["export", "csv"], article.Tags.ToArray());
    }

    [Fact]
    public void At_most_top_k_hits_are_returned_best_first()
    {
        var hits = Shipped.Search("export reports csv scheduled workspace data download", topK: 2, minScore: 0);

        Assert.Equal(2, hits.Length);
        Assert.True(hits[0].Score >= hits[1].Score);
    }

    [Fact]
    public void An_empty_knowledge_base_finds_nothing()
    {
        Assert.Empty(KnowledgeBase.Empty.Search("password reset", topK: 3, minScore: 0));
    }

    [Theory]
    [InlineData("no front matter here\n# Title\ntext", null, "front-matter block")]
    [InlineData("---\nurl: https://docs.contoso.example\n---\n# T\ntext", "title", "required")]
    [InlineData("---\ntitle: T\nurl: docs.contoso.example/x\n---\n# T\ntext", "url", "absolute http(s) URL")]
    [InlineData("---\ntitle: T\ntags: billing, invoice\n---\n# T\ntext", "tags", "list in brackets")]
    [InlineData("---\ntitle: T\nauthor: Dana\n---\n# T\ntext", "author", "unknown field")]
    [InlineData("---\ntitle: T\ntitle: U\n---\n# T\ntext", "title", "given twice")]
    [InlineData("---\ntitle: T\njust words\n---\n# T\ntext", null, "is not 'field: value'")]
    [InlineData("---\ntitle: T\n---\n# Only a heading\n", null, "no text")]
    public void A_broken_article_names_the_file_and_the_field(string content, string? field, string problem)
    {
        var error = Assert.Throws<KnowledgeFormatException>(() => KnowledgeBase.FromFiles([("billing/broken.md", content)]));

        Assert.Equal("billing/broken.md", error.File);
        Assert.Equal(field, error.Field);
        Assert.Contains("billing/broken.md", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_folder_names_its_path_and_the_setting()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"sift-no-kb-{Guid.NewGuid():N}");

        var error = Assert.Throws<DirectoryNotFoundException>(() => KnowledgeBase.Load(missing));

        Assert.Contains(missing, error.Message, StringComparison.Ordinal);
        Assert.Contains("Sift:Knowledge:Folder", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_shipped_article_loads_with_a_title_and_a_link()
    {
        Assert.InRange(Shipped.Articles.Length, 6, 10);
        Assert.All(Shipped.Articles, a => Assert.False(string.IsNullOrWhiteSpace(a.Url)));
    }
}
