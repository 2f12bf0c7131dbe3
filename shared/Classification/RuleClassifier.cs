using System.Collections.Immutable;
using System.Globalization;
using System.Text.RegularExpressions;
using Sift.Mail;

namespace Sift.Classification;

/// <summary>
/// The foundation's local classifier: weighted keyword rules over subject and text. It is deterministic, needs
/// no model file, and is the floor the trained local model and the hosted LLM replace.
/// </summary>
public static partial class RuleClassifier
{
    public const string ModelVersion = "rules-v1";

    private static readonly (string Intent, string[] Keywords)[] IntentKeywords =
    [
        ("complaint", ["complaint", "unacceptable", "disappointed", "refund", "terrible", "worst", "outage", "furious", "cancel my"]),
        ("scheduling", ["schedule", "meeting", "availability", "available", "calendar", "book a time", "reschedule", "demo", "call"]),
        ("pricing", ["pricing", "price", "quote", "cost", "plan", "billing", "per user"]),
        ("sales", ["buy", "purchase", "licence", "license", "sales team", "seats", "procurement", "trial"]),
        ("partner", ["partnership", "partner", "reseller", "referral", "affiliate"]),
        ("support", ["error", "not working", "broken", "bug", "login", "log in", "crash", "issue", "problem", "help", "export", "unable", "can't", "cannot"]),
    ];

    private static readonly string[] HighUrgency = ["urgent", "asap", "immediately", "outage", "critical", "down for", "emergency"];
    private static readonly string[] LowUrgency = ["no rush", "whenever", "not urgent", "low priority"];
    private static readonly string[] Legal = ["lawyer", "attorney", "legal action", "lawsuit", "subpoena", "gdpr request", "court"];

    public static Classification Classify(InboundMessage message, IReadOnlyCollection<string> vips)
    {
        var subject = message.Subject.ToLowerInvariant();
        var text = message.Latest.ToLowerInvariant();
        var scores = IntentKeywords
            .Select(rule => (rule.Intent, Score: rule.Keywords.Sum(k => (Contains(subject, k) ? 2 : 0) + (Contains(text, k) ? 1 : 0))))
            .ToList();
        var total = scores.Sum(s => s.Score);
        var best = scores.MaxBy(s => s.Score);

        var flags = ImmutableArray.CreateBuilder<string>();
        if (IsVip(message.From.Address, vips))
        {
            flags.Add(PolicyFlags.Vip);
        }

        var complaintScore = scores.First(s => s.Intent == "complaint").Score;
        if (complaintScore >= 2)
        {
            flags.Add(PolicyFlags.Complaint);
            best = ("complaint", complaintScore);
        }

        if (Legal.Any(k => Contains(text, k) || Contains(subject, k)))
        {
            flags.Add(PolicyFlags.Legal);
        }

        if (CardLike().IsMatch(message.Text))
        {
            flags.Add(PolicyFlags.Pii);
        }

        if (Injection().IsMatch(message.Text))
        {
            flags.Add(PolicyFlags.PromptInjectionSuspected);
        }

        var (intent, confidence, rationale) = best.Score == 0
            ? ("other", 0.3, "no intent keyword matched")
            : (best.Intent, Math.Round(0.35 + (0.6 * best.Score / (total + 1.0)), 3),
                string.Create(CultureInfo.InvariantCulture, $"{best.Score} of {total} keyword points for {best.Intent}"));

        var urgency = HighUrgency.Any(k => Contains(text, k) || Contains(subject, k)) || flags.Contains(PolicyFlags.Complaint)
            ? "high"
            : LowUrgency.Any(k => Contains(text, k)) ? "low" : "normal";

        return new Classification(intent, urgency, flags.ToImmutable(), confidence, rationale, ModelVersion);
    }

    public static bool IsVip(string address, IEnumerable<string> vips) =>
        vips.Any(v => v.StartsWith('@')
            ? address.EndsWith(v, StringComparison.OrdinalIgnoreCase)
            : string.Equals(address, v, StringComparison.OrdinalIgnoreCase));

    private static bool Contains(string haystack, string keyword)
    {
        var index = haystack.IndexOf(keyword, StringComparison.Ordinal);
        while (index >= 0)
        {
            var before = index == 0 || !char.IsLetter(haystack[index - 1]);
            var end = index + keyword.Length;
            var after = end >= haystack.Length || !char.IsLetter(haystack[end]) || haystack[end] == 's';
            if (before && after)
            {
                return true;
            }

            index = haystack.IndexOf(keyword, index + 1, StringComparison.Ordinal);
        }

        return false;
    }

    [GeneratedRegex(@"\b(?:\d[ -]?){13,19}\b")]
    private static partial Regex CardLike();

    [GeneratedRegex(@"ignore (all |any )?(previous|prior|above) instructions|disregard (your|the) (rules|instructions)|you are now|system prompt", RegexOptions.IgnoreCase)]
    private static partial Regex Injection();
}
