using System.Globalization;
using System.Text;
using System.Text.Json;
using Sift.Mail;

namespace Sift.Filtering;

/// <summary>One labelled message of a public corpus and what the pre-filter made of it.</summary>
public sealed record PrefilterOutcome(string Corpus, string Id, string Kind, string? Subset, FilterVerdict? Verdict, string? ParseError, double SpamPoints = 0);

/// <summary>Counts of one group: how many, how many the pre-filter filtered, and by which category.</summary>
public sealed record PrefilterTally(string Corpus, string Group, int Total, int Filtered, int FilteredAsSpam, int Unparsed)
{
    public double FilteredRate => Total == 0 ? 0 : (double)Filtered / Total;

    public double SpamRate => Total == 0 ? 0 : (double)FilteredAsSpam / Total;
}

/// <summary>
/// Runs the pre-filter over the public corpora in <c>../shared/data</c> (bounces and auto-replies from sisimai, helpdesk
/// fixtures with real human requests, SpamAssassin spam and ham) and tallies what it filtered. <c>sift eval prefilter</c>
/// prints the report; a test checks the figures when the data is present.
/// </summary>
public static class PrefilterEvaluation
{
    /// <summary>The mailbox the corpora are evaluated as received by; none of their senders is it.</summary>
    public const string Mailbox = "support@sift-eval.invalid";

    public static readonly (string Folder, string KindField, string? SubsetField)[] Corpora =
    [
        ("bounces-autoreplies-sisimai", "kind", null),
        ("autoreplies-helpdesk-fixtures", "kind", null),
        ("spam-ham-spamassassin", "label", "subset"),
    ];

    /// <summary>Evaluates every corpus found under <paramref name="dataRoot"/>; missing corpora are skipped.</summary>
    public static IReadOnlyList<PrefilterOutcome> Run(string dataRoot, DateTimeOffset now)
    {
        var outcomes = new List<PrefilterOutcome>();
        foreach (var (folder, kindField, subsetField) in Corpora)
        {
            var labels = Path.Combine(dataRoot, folder, "labels.jsonl");
            if (!File.Exists(labels))
            {
                continue;
            }

            foreach (var line in File.ReadLines(labels).Where(l => !string.IsNullOrWhiteSpace(l)))
            {
                using var doc = JsonDocument.Parse(line);
                var row = doc.RootElement;
                var id = row.GetProperty("id").GetString()!;
                var kind = row.GetProperty(kindField).GetString()!;
                var subset = subsetField is not null && row.TryGetProperty(subsetField, out var s) ? s.GetString() : null;
                var raw = File.ReadAllBytes(Path.Combine(dataRoot, folder, row.GetProperty("file").GetString()!));
                var parsed = MimeNormalizer.Parse(raw, now);
                outcomes.Add(parsed.Message is { } message
                    ? new PrefilterOutcome(folder, id, kind, subset, Prefilter.Evaluate(message, Mailbox), null, SpamSignals.Evaluate(message).Points)
                    : new PrefilterOutcome(folder, id, kind, subset, null, $"{parsed.Field}: {parsed.Error}"));
            }
        }

        return outcomes;
    }

    /// <summary>Groups by corpus and label (and SpamAssassin subset), plus one row per corpus label across subsets.</summary>
    public static IReadOnlyList<PrefilterTally> Tally(IEnumerable<PrefilterOutcome> outcomes)
    {
        var list = outcomes.ToList();
        static PrefilterTally Count(string corpus, string group, IReadOnlyCollection<PrefilterOutcome> rows) => new(
            corpus,
            group,
            rows.Count,
            rows.Count(r => r.Verdict?.IsMachine == true),
            rows.Count(r => r.Verdict?.Category == "spam"),
            rows.Count(r => r.Verdict is null));

        var byKind = list.GroupBy(o => (o.Corpus, o.Kind)).Select(g => Count(g.Key.Corpus, g.Key.Kind, [.. g]));
        var bySubset = list.Where(o => o.Subset is not null).GroupBy(o => (o.Corpus, o.Subset)).Select(g => Count(g.Key.Corpus, $"{g.First().Kind}/{g.Key.Subset}", [.. g]));
        return [.. byKind.Concat(bySubset).OrderBy(t => t.Corpus, StringComparer.Ordinal).ThenBy(t => t.Group, StringComparer.Ordinal)];
    }

    public static string Format(IReadOnlyList<PrefilterTally> tallies)
    {
        var sb = new StringBuilder();
        sb.AppendLine("| corpus | label | messages | filtered | filtered % | as spam % | unparsed |");
        sb.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        foreach (var t in tallies)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {t.Corpus} | {t.Group} | {t.Total} | {t.Filtered} | {t.FilteredRate:P1} | {t.SpamRate:P1} | {t.Unparsed} |");
        }

        return sb.ToString();
    }
}
