using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Sift.Drafting;

/// <summary>
/// What a reply has to answer, read from the new text of a mail without a model: its questions, its requests, and the
/// dates, amounts and reference numbers it mentions. Deterministic, so the same mail always gets the same outline.
/// </summary>
public static partial class KeyPoints
{
    private const int MaxSentences = 6;

    public static ImmutableArray<string> Find(string subject, string latest)
    {
        var points = new List<string>();
        foreach (var sentence in Sentences(latest))
        {
            if (points.Count >= MaxSentences)
            {
                break;
            }

            if (sentence.EndsWith('?'))
            {
                points.Add("Question: " + sentence);
            }
            else if (Request().IsMatch(sentence))
            {
                points.Add("Request: " + sentence);
            }
        }

        var mentioned = Mentions().Matches(latest).Select(m => m.Value.Trim().TrimEnd('.', ',')).Distinct(StringComparer.OrdinalIgnoreCase).ToList();
        if (mentioned.Count > 0)
        {
            points.Add("Mentioned: " + string.Join(", ", mentioned));
        }

        if (points.Count == 0)
        {
            // Nothing reads as a question or a request: the subject is what the sender wants answered.
            points.Add("Subject: " + subject.Trim());
        }

        return [.. points];
    }

    /// <summary>
    /// The sentences of the text: mail wraps lines inside a sentence, so lines are joined within a paragraph first;
    /// greetings and sign-offs (short paragraphs) are left out.
    /// </summary>
    private static IEnumerable<string> Sentences(string text)
    {
        foreach (var paragraph in text.ReplaceLineEndings("\n").Split("\n\n", StringSplitOptions.RemoveEmptyEntries))
        {
            var joined = string.Join(' ', paragraph.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
                .Where(l => !l.StartsWith('>')));
            foreach (Match sentence in Sentence().Matches(joined))
            {
                var value = sentence.Value.Trim();
                if (value.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length >= 4)
                {
                    yield return value;
                }
            }
        }
    }

    [GeneratedRegex(@"[^.!?]+(?:[.!?]+|$)")]
    private static partial Regex Sentence();

    // Requests: "please ...", "I would like ...", "we need ...", "let me know", or a sentence opening with an imperative verb.
    [GeneratedRegex(@"\bplease\b|\b(?:I|we)(?:'d| would) like\b|\b(?:I|we) (?:need|want|expect|request|ask)\b|\blet (?:me|us) know\b|^(?:send|share|help|tell|confirm|cancel|update|fix|reset|export|remove|delete|add|call|contact|schedule|provide|explain|check|refund|close|change|unlock)\b", RegexOptions.IgnoreCase)]
    private static partial Regex Request();

    // Dates, amounts and reference numbers: what an answer must get exactly right.
    [GeneratedRegex(@"(?:[$€£]\s?\d[\d,.]*|\b\d[\d,.]*\s?(?:USD|EUR|GBP|dollars?|euros?)\b|\b\d+(?:[.,]\d+)?\s?%|\b\d{4}-\d{2}-\d{2}\b|\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}(?:st|nd|rd|th)?\s+(?:January|February|March|April|May|June|July|August|September|October|November|December)\b|\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\s+\d{1,2}(?:st|nd|rd|th)?\b|\b(?:order|invoice|ticket|case|ref(?:erence)?|account|PO)\s*(?:number|no\.?|#)?\s*:?\s*#?(?=[A-Z-]*\d)[A-Z0-9][A-Z0-9-]{3,}\b|#\d{3,}\b|\b[A-Z]{2,5}-\d{3,}\b)", RegexOptions.IgnoreCase)]
    private static partial Regex Mentions();
}
