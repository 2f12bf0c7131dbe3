using System.Collections.Immutable;
using System.Numerics;
using System.Text;
using System.Text.RegularExpressions;
using PhoneNumbers;

namespace Sift.Privacy;

/// <summary>A piece of personal data found in a text: its kind and where it is (UTF-16 offsets).</summary>
public sealed record PiiSpan(string Kind, int Start, int Length, string Value)
{
    public int End => Start + Length;
}

/// <summary>A text with its personal data replaced by numbered placeholders, and the map to put them back.</summary>
public sealed record RedactedText(string Text, ImmutableDictionary<string, string> Placeholders, ImmutableArray<PiiSpan> Spans)
{
    /// <summary>Puts the original values back where a placeholder (e.g. <c>[EMAIL_1]</c>) stands, for text that stays local.</summary>
    public string Restore(string text)
    {
        foreach (var (placeholder, value) in Placeholders)
        {
            text = text.Replace(placeholder, value, StringComparison.Ordinal);
        }

        return text;
    }
}

/// <summary>
/// Finds personal data before a text leaves for an external model, and replaces it with reversible placeholders
/// (<c>[EMAIL_1]</c>, <c>[PHONE_2]</c>...): the same value gets the same placeholder, so the model can still refer to it,
/// and a draft written with placeholders is filled in locally. Kinds: email addresses, phone numbers (libphonenumber),
/// card numbers (Luhn), IBANs (ISO 13616 check digits), US social security numbers, IP addresses, street addresses
/// (number and street-type word) and person names (best effort: after a greeting, a sign-off, a title or "my name is").
/// </summary>
public static partial class PiiRedactor
{
    public const string Email = "EMAIL";
    public const string Phone = "PHONE";
    public const string Card = "CARD";
    public const string Iban = "IBAN";
    public const string NationalId = "NATIONAL_ID";
    public const string IpAddress = "IP";
    public const string Address = "ADDRESS";
    public const string Person = "PERSON";

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    /// <summary>Finds every span, longest first where two overlap.</summary>
    public static ImmutableArray<PiiSpan> Find(string text, string defaultRegion = "US")
    {
        var found = new List<PiiSpan>();
        Add(found, Email, EmailPattern().Matches(text));
        foreach (Match m in IbanPattern().Matches(text))
        {
            if (IsIban(m.Value))
            {
                found.Add(new PiiSpan(Iban, m.Index, m.Length, m.Value));
            }
        }

        foreach (Match m in CardPattern().Matches(text))
        {
            var digits = Digits(m.Value);
            // Digits right after an IBAN's country code and check digits belong to that IBAN (valid or not), not to a card.
            if (digits.Length is >= 13 and <= 19 && Luhn(digits) && !IbanPrefix().IsMatch(text.AsSpan(0, m.Index)))
            {
                found.Add(new PiiSpan(Card, m.Index, m.Length, m.Value));
            }
        }

        foreach (Match m in SsnPattern().Matches(text))
        {
            if (IsSsn(m.Groups[1].Value, m.Groups[2].Value, m.Groups[3].Value))
            {
                found.Add(new PiiSpan(NationalId, m.Index, m.Length, m.Value));
            }
        }

        foreach (Match m in Ipv4Pattern().Matches(text))
        {
            if (m.Value.Split('.').All(part => int.Parse(part, System.Globalization.CultureInfo.InvariantCulture) <= 255))
            {
                found.Add(new PiiSpan(IpAddress, m.Index, m.Length, m.Value));
            }
        }

        foreach (var match in Phones.FindNumbers(text, defaultRegion, PhoneNumberUtil.Leniency.POSSIBLE, long.MaxValue))
        {
            found.Add(new PiiSpan(Phone, match.Start, match.Length, match.RawString));
        }

        // Numbers written the way other countries write them, which a single default region does not parse: digit
        // groups with separators, 7 to 15 digits in all.
        foreach (Match m in PhoneLike().Matches(text))
        {
            // Two space-separated groups are as often a street number and a postcode; a date is not a phone.
            var groups = m.Value.Split([' ', '-', '.'], StringSplitOptions.RemoveEmptyEntries).Length;
            var marked = m.Value.StartsWith('+') || m.Value.Contains('(', StringComparison.Ordinal);
            if (Digits(m.Value).Length is >= 7 and <= 15 && (groups >= 3 || marked) && !IsoDate().IsMatch(m.Value) && !SsnShape().IsMatch(m.Value))
            {
                found.Add(new PiiSpan(Phone, m.Index, m.Length, m.Value));
            }
        }

        Add(found, Address, StreetAddress().Matches(text));
        Add(found, Address, EuropeanStreet().Matches(text));
        Add(found, Address, UnitNumber().Matches(text));
        foreach (Match m in NameCue().Matches(text))
        {
            var name = m.Groups["name"];
            found.Add(new PiiSpan(Person, name.Index, name.Length, name.Value));
        }

        // Where two overlap, the one found by a checksum or a stricter rule wins, then the longer one.
        var kept = new List<PiiSpan>();
        foreach (var span in found.OrderBy(s => Rank(s.Kind)).ThenByDescending(s => s.Length))
        {
            if (!kept.Any(k => k.Start < span.End && span.Start < k.End))
            {
                kept.Add(span);
            }
        }

        return [.. kept.OrderBy(s => s.Start)];
    }

    /// <summary>Replaces what <see cref="Find"/> finds with placeholders; the same value always gets the same one.</summary>
    public static RedactedText Redact(string text, string defaultRegion = "US")
    {
        var spans = Find(text, defaultRegion);
        var byValue = new Dictionary<(string Kind, string Value), string>();
        var counters = new Dictionary<string, int>(StringComparer.Ordinal);
        var sb = new StringBuilder(text.Length);
        var last = 0;
        foreach (var span in spans)
        {
            if (!byValue.TryGetValue((span.Kind, span.Value), out var placeholder))
            {
                counters[span.Kind] = counters.GetValueOrDefault(span.Kind) + 1;
                placeholder = $"[{span.Kind}_{counters[span.Kind]}]";
                byValue[(span.Kind, span.Value)] = placeholder;
            }

            sb.Append(text, last, span.Start - last).Append(placeholder);
            last = span.End;
        }

        sb.Append(text, last, text.Length - last);
        return new RedactedText(sb.ToString(), byValue.ToImmutableDictionary(kv => kv.Value, kv => kv.Key.Value), spans);
    }

    private static int Rank(string kind) => kind switch
    {
        Email => 0,
        Iban => 1,
        Card => 2,
        NationalId => 3,
        IpAddress => 4,
        Phone => 5,
        Address => 6,
        _ => 7,
    };

    private static void Add(List<PiiSpan> found, string kind, MatchCollection matches)
    {
        foreach (Match m in matches)
        {
            found.Add(new PiiSpan(kind, m.Index, m.Length, m.Value));
        }
    }

    private static string Digits(string value) => string.Concat(value.Where(char.IsAsciiDigit));

    internal static bool Luhn(string digits)
    {
        var sum = 0;
        for (var i = 0; i < digits.Length; i++)
        {
            var d = digits[digits.Length - 1 - i] - '0';
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    /// <summary>ISO 13616: move the first four characters to the end, letters to numbers (A = 10), the whole mod 97 is 1.</summary>
    internal static bool IsIban(string value)
    {
        var compact = string.Concat(value.Where(char.IsAsciiLetterOrDigit)).ToUpperInvariant();
        if (compact.Length is < 15 or > 34)
        {
            return false;
        }

        var rearranged = compact[4..] + compact[..4];
        var numeric = new StringBuilder(rearranged.Length * 2);
        foreach (var c in rearranged)
        {
            numeric.Append(char.IsAsciiDigit(c) ? (c - '0').ToString(System.Globalization.CultureInfo.InvariantCulture) : (c - 'A' + 10).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        return BigInteger.Parse(numeric.ToString(), System.Globalization.CultureInfo.InvariantCulture) % 97 == 1;
    }

    /// <summary>SSA rules: no area 000, 666 or 900-999, no group 00, no serial 0000.</summary>
    private static bool IsSsn(string area, string group, string serial) =>
        area != "000" && area != "666" && area[0] != '9' && group != "00" && serial != "0000";

    [GeneratedRegex(@"[A-Za-z0-9._%+\-]+@[A-Za-z0-9.\-]+\.[A-Za-z]{2,}")]
    private static partial Regex EmailPattern();

    [GeneratedRegex(@"\b[A-Z]{2}\d{2}(?:[ ]?[A-Z0-9]{4}){2,7}(?:[ ]?[A-Z0-9]{1,4})?\b")]
    private static partial Regex IbanPattern();

    [GeneratedRegex(@"\b\d(?:[ \-]?\d){12,18}\b")]
    private static partial Regex CardPattern();

    [GeneratedRegex(@"\b(\d{3})[- ]?(\d{2})[- ]?(\d{4})\b")]
    private static partial Regex SsnPattern();

    [GeneratedRegex(@"\b(?:\d{1,3}\.){3}\d{1,3}\b")]
    private static partial Regex Ipv4Pattern();

    [GeneratedRegex(@"\b\d{1,6}\s+(?:[A-Z][\p{L}'\-]*\.?\s+){1,4}(?:Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Drive|Dr|Court|Ct|Way|Place|Pl|Square|Sq|Terrace|Parkway|Pkwy|Highway|Hwy|Circle|Cir|Trail|Straße|Strasse|Str|Weg|Allee|Platz|Gasse|Rue|Avenue|Via|Calle|Vej|Gatan|Gade|Tie|Katu|Ulica)\b\.?(?:,?\s+(?:Apt|Apartment|Suite|Ste|Unit|#)\.?\s*\w+)?", RegexOptions.IgnoreCase)]
    private static partial Regex StreetAddress();

    [GeneratedRegex(@"(?<![\w\-])(?:\+\d{1,3}[ \-.]?)?(?:\(\d{1,4}\)[ \-.]?)?\d{2,5}(?:[ \-.]\d{2,5}){1,4}(?:x\d{1,5})?(?![\w\-])")]
    private static partial Regex PhoneLike();

    [GeneratedRegex(@"^\d{4}-\d{2}-\d{2}")]
    private static partial Regex IsoDate();

    [GeneratedRegex(@"^\d{3}-\d{2}-\d{4}$")]
    private static partial Regex SsnShape();

    [GeneratedRegex(@"\b[A-Z]{2}\d{2}\s?$")]
    private static partial Regex IbanPrefix();

    [GeneratedRegex(@"(?:\b\d{1,5}\s+)?\b(?:\p{Lu}[\p{L}\-]*(?:straat|straße|strasse|gatan|gate|vegen|veien|vej|gade|tie|katu|weg|laan|plein|gasse|gränd|väg|vägen)|(?:rue|via|ul\.|calle|rua|piazza|plaza|avenida|boulevard|viale|corso|rua)\s+(?:[\p{L}'\-]+\s+){0,4}?[\p{L}'\-]+)\s+\d{1,5}\b|\b\d{1,5},?\s+(?:rue|via|ul\.|calle|rua|boulevard|avenue|avenida)\s+(?:[\p{Lu}][\p{L}'\-]*\s*){1,4}", RegexOptions.IgnoreCase)]
    private static partial Regex EuropeanStreet();

    [GeneratedRegex(@"\b(?:Apt|Apartment|Suite|Ste|Unit|Flat)\.?\s*#?\d{1,5}\b")]
    private static partial Regex UnitNumber();

    [GeneratedRegex(@"(?i:\b(?:my name is|name's|i am|i'm|this is|dear|hi|hello|regards,|thanks,|best,|sincerely,|cheers,|mr\.?|mrs\.?|ms\.?|dr\.?|prof\.?)\s+|(?:^|\n)\s*(?:name|from|to|attn|contact|user)\s*:\s*)(?<name>\p{Lu}[\p{L}'\-]+(?:\s+\p{Lu}(?:\.|(?=\s)))?(?:\s+\p{Lu}[\p{L}'\-]+){0,2})", RegexOptions.Multiline)]
    private static partial Regex NameCue();
}
