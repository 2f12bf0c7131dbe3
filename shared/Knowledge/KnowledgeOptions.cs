using System.ComponentModel.DataAnnotations;

namespace Sift.Knowledge;

/// <summary>Section <c>Sift:Knowledge</c>: the folder of Markdown articles drafts and outlines may cite.</summary>
public sealed class KnowledgeOptions
{
    public const string Section = "Sift:Knowledge";

    /// <summary>The folder of <c>*.md</c> articles; a relative path is taken from the executable's folder. Empty: no knowledge base.</summary>
    public string Folder { get; set; } = "kb";

    /// <summary>How many sections a search returns at most.</summary>
    [Range(1, 10)]
    public int TopK { get; set; } = 3;

    /// <summary>
    /// The BM25 score a section needs to count as relevant. With the shipped articles, mail on another topic that
    /// shares a word or two scores under 5; a one-line question on an article's topic scores 5.5 to 6, a full mail on it 15 and more.
    /// </summary>
    [Range(0.0, 100.0)]
    public double MinScore { get; set; } = 5.0;

    public bool Enabled => !string.IsNullOrWhiteSpace(Folder);

    public string ResolvedFolder => Path.IsPathRooted(Folder) ? Folder : Path.Combine(AppContext.BaseDirectory, Folder);
}
