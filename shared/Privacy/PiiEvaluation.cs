using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Sift.Privacy;

/// <summary>Recall and precision of one kind of personal data: gold spans found, and found spans that are gold.</summary>
public sealed record PiiTally(string Kind, int Gold, int GoldFound, int Predicted, int PredictedRight)
{
    public double Recall => Gold == 0 ? double.NaN : (double)GoldFound / Gold;

    public double Precision => Predicted == 0 ? double.NaN : (double)PredictedRight / Predicted;
}

/// <summary>
/// Measures <see cref="PiiRedactor"/> on ../shared/data/pii-presidio-synthetic: a gold span counts as found when a span of
/// the same kind overlaps it; a found span counts as right when it overlaps a gold span of its kind. The corpus's offsets
/// count Unicode code points and are converted. Kinds the redactor does not look for (places, organisations, dates) are
/// not scored; a span found over one of them counts as wrong.
/// </summary>
public static class PiiEvaluation
{
    public const string Folder = "pii-presidio-synthetic";

    private static readonly Dictionary<string, string> Kinds = new(StringComparer.Ordinal)
    {
        ["EMAIL_ADDRESS"] = PiiRedactor.Email,
        ["PHONE_NUMBER"] = PiiRedactor.Phone,
        ["CREDIT_CARD"] = PiiRedactor.Card,
        ["IBAN_CODE"] = PiiRedactor.Iban,
        ["US_SSN"] = PiiRedactor.NationalId,
        ["IP_ADDRESS"] = PiiRedactor.IpAddress,
        ["STREET_ADDRESS"] = PiiRedactor.Address,
        ["PERSON"] = PiiRedactor.Person,
    };

    public static IReadOnlyList<PiiTally> Run(string dataRoot)
    {
        var counts = Kinds.Values.Distinct().ToDictionary(k => k, _ => new int[4], StringComparer.Ordinal);
        foreach (var line in File.ReadLines(Path.Combine(dataRoot, Folder, "pii_spans.jsonl")).Where(l => l.Length > 0))
        {
            using var doc = JsonDocument.Parse(line);
            var text = doc.RootElement.GetProperty("text").GetString()!;
            var utf16 = CodePointOffsets(text);
            var gold = doc.RootElement.GetProperty("spans").EnumerateArray()
                .Select(s => (Label: s.GetProperty("label").GetString()!, Start: utf16[s.GetProperty("start").GetInt32()], End: utf16[s.GetProperty("end").GetInt32()]))
                .ToList();
            var found = PiiRedactor.Find(text);
            foreach (var g in gold.Where(g => Kinds.ContainsKey(g.Label)))
            {
                var kind = Kinds[g.Label];
                counts[kind][0]++;
                if (found.Any(f => f.Kind == kind && f.Start < g.End && g.Start < f.End))
                {
                    counts[kind][1]++;
                }
            }

            foreach (var f in found)
            {
                counts[f.Kind][2]++;
                if (gold.Any(g => Kinds.TryGetValue(g.Label, out var kind) && kind == f.Kind && f.Start < g.End && g.Start < f.End))
                {
                    counts[f.Kind][3]++;
                }
            }
        }

        return [.. counts.Select(c => new PiiTally(c.Key, c.Value[0], c.Value[1], c.Value[2], c.Value[3])).OrderBy(t => t.Kind, StringComparer.Ordinal)];
    }

    public static string Format(IReadOnlyList<PiiTally> tallies)
    {
        static string Rate(double value) => double.IsNaN(value) ? "–" : value.ToString("P1", CultureInfo.InvariantCulture);
        var sb = new StringBuilder();
        sb.AppendLine("| kind | gold spans | found | recall | spans flagged | right | precision |");
        sb.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
        foreach (var t in tallies)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"| {t.Kind} | {t.Gold} | {t.GoldFound} | {Rate(t.Recall)} | {t.Predicted} | {t.PredictedRight} | {Rate(t.Precision)} |");
        }

        return sb.ToString();
    }

    /// <summary>Maps each code-point offset (0..n) to its UTF-16 offset.</summary>
    private static int[] CodePointOffsets(string text)
    {
        var offsets = new List<int>(text.Length + 1);
        for (var i = 0; i < text.Length; i += char.IsSurrogatePair(text, i) ? 2 : 1)
        {
            offsets.Add(i);
        }

        offsets.Add(text.Length);
        return [.. offsets];
    }
}
