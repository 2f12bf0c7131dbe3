using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Sift.Knowledge;

/// <summary>One article of the knowledge base: its front matter and its sections.</summary>
public sealed record KbArticle(string Path, string Title, string? Url, ImmutableArray<string> Tags, ImmutableArray<KbSection> Sections);

/// <summary>A section of an article: the text under one heading.</summary>
public sealed record KbSection(string Heading, string Text);

/// <summary>A section a search found: where it is (article, heading, file, link), its text and its BM25 score.</summary>
public sealed record KbHit(string Title, string Section, string Path, string? Url, string Excerpt, string Text, double Score);

/// <summary>A knowledge-base file that cannot be read: the file, the front-matter field when there is one, and the problem.</summary>
public sealed class KnowledgeFormatException(string file, string? field, string problem)
    : Exception(field is null ? $"Knowledge article '{file}': {problem}" : $"Knowledge article '{file}', field '{field}': {problem}")
{
    public string File { get; } = file;

    public string? Field { get; } = field;
}

/// <summary>
/// The knowledge base: Markdown articles (front matter with <c>title</c>, optional <c>url</c> and <c>tags</c>), split
/// into sections by heading and searched with BM25 in process. Nothing leaves Sift to search it, and the same question
/// always finds the same sections, so outlines and the sources of a grounded draft can be reproduced.
/// </summary>
public sealed partial class KnowledgeBase
{
    // BM25's usual constants: term-frequency saturation and length normalisation.
    private const double K1 = 1.2;
    private const double B = 0.75;
    private const int ExcerptChars = 200;

    // A section scoring under this share of the best one is a side match (a shared word), not a second answer.
    private const double RelativeCut = 0.4;

    private static readonly FrozenSet<string> Fields = FrozenSet.ToFrozenSet(["title", "url", "tags"], StringComparer.Ordinal);

    private readonly ImmutableArray<Indexed> _sections;
    private readonly FrozenDictionary<string, double> _idf;
    private readonly double _averageLength;

    private KnowledgeBase(ImmutableArray<KbArticle> articles)
    {
        Articles = articles;
        _sections = [.. articles.SelectMany(a => a.Sections.Select(s => Index(a, s)))];
        _averageLength = _sections.IsEmpty ? 1 : Math.Max(1, _sections.Average(s => s.Length));
        var n = _sections.Length;
        _idf = _sections.SelectMany(s => s.Terms.Keys).GroupBy(t => t, StringComparer.Ordinal)
            .ToFrozenDictionary(g => g.Key, g => Math.Log(1 + ((n - g.Count() + 0.5) / (g.Count() + 0.5))), StringComparer.Ordinal);
    }

    /// <summary>A knowledge base with no article: every search finds nothing.</summary>
    public static KnowledgeBase Empty { get; } = new([]);

    public ImmutableArray<KbArticle> Articles { get; }

    /// <summary>Reads every <c>*.md</c> file of the folder (and its subfolders); the first broken file stops the load, naming itself.</summary>
    public static KnowledgeBase Load(string folder)
    {
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The knowledge-base folder '{folder}' does not exist (setting {KnowledgeOptions.Section}:Folder; empty turns the knowledge base off).");
        }

        var files = Directory.GetFiles(folder, "*.md", SearchOption.AllDirectories).Order(StringComparer.Ordinal);
        return FromFiles(files.Select(f => (System.IO.Path.GetRelativePath(folder, f).Replace('\\', '/'), File.ReadAllText(f))));
    }

    /// <summary>A knowledge base from (path, content) pairs: what <see cref="Load"/> does once the files are read.</summary>
    public static KnowledgeBase FromFiles(IEnumerable<(string Path, string Content)> files) =>
        new([.. files.Select(f => Parse(f.Path, f.Content))]);

    /// <summary>
    /// The best sections for the text, best first: at most <paramref name="topK"/>, each scoring at least
    /// <paramref name="minScore"/> and at least 40% of the best section's score.
    /// </summary>
    public ImmutableArray<KbHit> Search(string text, int topK, double minScore)
    {
        var query = Tokens(text).ToHashSet(StringComparer.Ordinal);
        if (query.Count == 0 || _sections.IsEmpty)
        {
            return [];
        }

        var scored = _sections.Select(s => (Section: s, Score: Score(s, query))).ToList();
        var best = scored.Max(x => x.Score);
        return
        [
            .. scored
                .Where(x => x.Score >= minScore && x.Score > 0 && x.Score >= best * RelativeCut)
                .OrderByDescending(x => x.Score)
                .ThenBy(x => x.Section.Article.Path, StringComparer.Ordinal)
                .ThenBy(x => x.Section.Section.Heading, StringComparer.Ordinal)
                .Take(topK)
                .Select(x => new KbHit(
                    x.Section.Article.Title, x.Section.Section.Heading, x.Section.Article.Path, x.Section.Article.Url,
                    Excerpt(x.Section.Section.Text), x.Section.Section.Text, Math.Round(x.Score, 3))),
        ];
    }

    private double Score(Indexed section, HashSet<string> query)
    {
        var score = 0.0;
        foreach (var term in query)
        {
            if (section.Terms.TryGetValue(term, out var tf))
            {
                score += _idf[term] * (tf * (K1 + 1)) / (tf + (K1 * (1 - B + (B * section.Length / _averageLength))));
            }
        }

        return score;
    }

    /// <summary>
    /// A section is indexed with its article's title and tags and its own heading, so that a question naming the topic
    /// ("SSO", "invoice") finds every section of the article even when the section's text does not repeat the word.
    /// </summary>
    private static Indexed Index(KbArticle article, KbSection section)
    {
        var tokens = Tokens($"{article.Title} {string.Join(' ', article.Tags)} {section.Heading} {section.Text}").ToList();
        var terms = tokens.GroupBy(t => t, StringComparer.Ordinal).ToFrozenDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
        return new Indexed(article, section, terms, tokens.Count);
    }

    /// <summary>Lower-case words without stop words, with a light plural stemming ("invoices" finds "invoice").</summary>
    private static IEnumerable<string> Tokens(string text) =>
        Word().Matches(text.ToLowerInvariant()).Select(m => Stem(m.Value)).Where(t => t.Length > 1 && !StopWords.Contains(t));

    private static string Stem(string word) => word switch
    {
        { Length: > 4 } when word.EndsWith("ies", StringComparison.Ordinal) => word[..^3] + "y",
        { Length: > 3 } when word.EndsWith('s') && !word.EndsWith("ss", StringComparison.Ordinal) && !word.EndsWith("us", StringComparison.Ordinal) => word[..^1],
        _ => word,
    };

    private static string Excerpt(string text)
    {
        var flat = string.Join(' ', text.Split((char[])['\n', '\r', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries));
        if (flat.Length <= ExcerptChars)
        {
            return flat;
        }

        var cut = flat.LastIndexOf(' ', ExcerptChars);
        return flat[..(cut > 0 ? cut : ExcerptChars)] + "...";
    }

    /// <summary>Reads one article: the front matter (checked field by field), then its sections.</summary>
    public static KbArticle Parse(string path, string content)
    {
        content = content.ReplaceLineEndings("\n");
        var match = FrontMatter().Match(content);
        if (!match.Success)
        {
            throw new KnowledgeFormatException(path, null, "it must start with a front-matter block between two '---' lines (title, optional url and tags).");
        }

        var fields = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in match.Groups["meta"].Value.Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line) || line.TrimStart().StartsWith('#'))
            {
                continue;
            }

            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                throw new KnowledgeFormatException(path, null, $"the front-matter line '{line.Trim()}' is not 'field: value'.");
            }

            var name = line[..colon].Trim();
            if (!Fields.Contains(name))
            {
                throw new KnowledgeFormatException(path, name, $"unknown field; the fields are {string.Join(", ", Fields.Order(StringComparer.Ordinal))}.");
            }

            if (!fields.TryAdd(name, line[(colon + 1)..].Trim()))
            {
                throw new KnowledgeFormatException(path, name, "given twice.");
            }
        }

        if (!fields.TryGetValue("title", out var title) || string.IsNullOrWhiteSpace(title))
        {
            throw new KnowledgeFormatException(path, "title", "required and must not be empty.");
        }

        string? url = null;
        if (fields.TryGetValue("url", out var rawUrl) && rawUrl.Length > 0)
        {
            if (!Uri.TryCreate(rawUrl, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttps && uri.Scheme != Uri.UriSchemeHttp))
            {
                throw new KnowledgeFormatException(path, "url", $"'{rawUrl}' is not an absolute http(s) URL.");
            }

            url = rawUrl;
        }

        var tags = ImmutableArray<string>.Empty;
        if (fields.TryGetValue("tags", out var rawTags) && rawTags.Length > 0)
        {
            if (!rawTags.StartsWith('[') || !rawTags.EndsWith(']'))
            {
                throw new KnowledgeFormatException(path, "tags", $"'{rawTags}' must be a list in brackets, e.g. [billing, invoice].");
            }

            tags = [.. rawTags[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)];
        }

        var sections = Sections(title, content[match.Length..]);
        if (sections.IsEmpty)
        {
            throw new KnowledgeFormatException(path, null, "the article has no text after the front matter.");
        }

        return new KbArticle(path, title, url, tags, sections);
    }

    /// <summary>The text under each heading; text before the first heading belongs to the title. Headings without text are dropped.</summary>
    private static ImmutableArray<KbSection> Sections(string title, string body)
    {
        var sections = ImmutableArray.CreateBuilder<KbSection>();
        var heading = title;
        var lines = new List<string>();
        void Flush()
        {
            var text = string.Join('\n', lines).Trim();
            if (text.Length > 0)
            {
                sections.Add(new KbSection(heading, text));
            }

            lines.Clear();
        }

        foreach (var line in body.Split('\n'))
        {
            if (Heading().Match(line) is { Success: true } h)
            {
                Flush();
                heading = h.Groups["text"].Value.Trim();
            }
            else
            {
                lines.Add(line);
            }
        }

        Flush();
        return sections.ToImmutable();
    }

    private sealed record Indexed(KbArticle Article, KbSection Section, FrozenDictionary<string, int> Terms, int Length);

    // Common English function words and mail pleasantries: they match everything and so say nothing about the topic.
    private static readonly FrozenSet<string> StopWords = FrozenSet.ToFrozenSet(
    [
        "a", "about", "above", "after", "again", "all", "also", "am", "an", "and", "any", "are", "as", "at", "be", "because", "been",
        "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do", "doe", "does", "doing", "don", "down",
        "during", "each", "even", "every", "few", "for", "from", "further", "get", "got", "had", "ha", "has", "have", "having", "he", "her",
        "here", "hers", "him", "his", "how", "if", "in", "into", "is", "it", "its", "itself", "just", "let", "like", "me", "more", "most",
        "my", "myself", "no", "nor", "not", "now", "of", "off", "on", "once", "only", "or", "other", "our", "ours", "out", "over", "own",
        "please", "same", "she", "should", "so", "some", "such", "than", "that", "the", "their", "them", "then", "there", "these", "they",
        "thi", "this", "those", "through", "to", "too", "under", "until", "up", "us", "very", "wa", "was", "we", "were", "what", "when",
        "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours", "yourself", "hi", "hello",
        "dear", "thanks", "thank", "regard", "regards", "best", "kind", "cheer", "cheers", "team", "contoso", "since", "still", "one",
        "want", "need", "know", "see", "make", "way", "use", "may", "might", "must", "shall", "ve", "ll", "re", "im", "i", "getting",
        "keep", "last", "try", "tried", "able", "cannot", "can't", "anyone", "someone", "something",
    ], StringComparer.Ordinal);

    [GeneratedRegex(@"^---\n(?<meta>.*?)\n---(?:\n|$)", RegexOptions.Singleline)]
    private static partial Regex FrontMatter();

    [GeneratedRegex(@"^#{1,6}\s+(?<text>.+)$")]
    private static partial Regex Heading();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex Word();
}

/// <summary>Where a draft or an outline points in the knowledge base: the article, the section, the file, the link and the score.</summary>
public sealed record KbReference(string Title, string Section, string Path, string? Url, double Score)
{
    public static KbReference From(KbHit hit) => new(hit.Title, hit.Section, hit.Path, hit.Url, hit.Score);
}
