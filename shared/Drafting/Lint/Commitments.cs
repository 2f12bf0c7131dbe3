using System.Collections.Frozen;
using System.Text.RegularExpressions;

namespace Sift.Drafting.Lint;

/// <summary>
/// The commitments an outgoing text may make only when its template carries them (front-matter <c>carries</c>):
/// discounts, refunds, price changes, reply or service-level times, guarantees and contractual terms. English phrasings.
/// </summary>
public static partial class Commitments
{
    public const string Discount = "discount";
    public const string Refund = "refund";
    public const string Price = "price";
    public const string Eta = "eta";
    public const string Guarantee = "guarantee";
    public const string Contract = "contract";

    public static IReadOnlyList<string> Kinds { get; } = [Discount, Refund, Price, Eta, Guarantee, Contract];

    private static readonly FrozenDictionary<string, Regex> Patterns = new Dictionary<string, Regex>(StringComparer.Ordinal)
    {
        [Discount] = DiscountPattern(),
        [Refund] = RefundPattern(),
        [Price] = PricePattern(),
        [Eta] = EtaPattern(),
        [Guarantee] = GuaranteePattern(),
        [Contract] = ContractPattern(),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    /// <summary>Each commitment found in the text: its kind and the words that make it.</summary>
    public static IEnumerable<(string Kind, string Words)> Find(string text)
    {
        foreach (var (kind, pattern) in Patterns)
        {
            foreach (Match m in pattern.Matches(text))
            {
                yield return (kind, m.Value);
            }
        }
    }

    [GeneratedRegex(@"\b(?:discount(?:s|ed)?|\d+(?:[.,]\d+)?\s?%\s?off|coupon|promo(?:tion(?:al)?)? code|voucher|reduced (?:price|rate)|free of charge|at no (?:extra )?(?:cost|charge)|for free|waive[sd]?|complimentary)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DiscountPattern();

    [GeneratedRegex(@"\b(?:refund(?:s|ed|able)?|money[- ]back|reimburse(?:d|ment)?|credit (?:note|back|your account)|chargeback)\b", RegexOptions.IgnoreCase)]
    private static partial Regex RefundPattern();

    [GeneratedRegex(@"\b(?:price (?:increase|decrease|change|freeze|match|lock|cut|drop|reduction)s?|lock in (?:the|your|this) (?:price|rate)|(?:lower|reduce|match) (?:the |our |your )?(?:price|rate)s?|cheaper|price will (?:stay|remain|not change))\b", RegexOptions.IgnoreCase)]
    private static partial Regex PricePattern();

    [GeneratedRegex(@"\b(?:within (?:\d+|one|two|three|four|five|a few|24|48|72) (?:business |working )?(?:minutes?|hours?|days?|weeks?)|SLA|service level|response time|resolution time|uptime|by (?:tomorrow|end of (?:the )?(?:day|week)|EOD)|first thing tomorrow)\b", RegexOptions.IgnoreCase)]
    private static partial Regex EtaPattern();

    [GeneratedRegex(@"\b(?:guarantee[sd]?|warrant(?:y|ies|ed)?|we promise|i promise|promised|assure you|commit to|will definitely|100% (?:sure|certain))\b", RegexOptions.IgnoreCase)]
    private static partial Regex GuaranteePattern();

    [GeneratedRegex(@"\b(?:contract(?:s|ual|ually)?|legally binding|binding (?:offer|agreement)|terms and conditions|liability|indemnif(?:y|ication)|penalt(?:y|ies))\b", RegexOptions.IgnoreCase)]
    private static partial Regex ContractPattern();
}
