using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Sift.Classification.Llm;
using Sift.Mail;
using Sift.Privacy;
using Sift.Templates;

namespace Sift.Drafting.Lint;

/// <summary>One reason a text may not be sent as it is: the rule's id and what it found.</summary>
public sealed record LintFinding(string Rule, string Reason)
{
    public override string ToString() => $"{Rule}: {Reason}";
}

/// <summary>What the lint found; an outgoing text passes when nothing was found.</summary>
public sealed record LintResult(ImmutableArray<LintFinding> Findings)
{
    public bool Passed => Findings.IsEmpty;

    /// <summary>The findings as <c>rule: reason</c> lines, as drafts and the audit log keep them.</summary>
    public ImmutableArray<string> Lines => [.. Findings.Select(f => f.ToString())];
}

/// <summary>What the lint checks a text against: the template and what it carries, the slot values, the approved sources, the incoming mail.</summary>
public sealed record LintContext
{
    public ReplyTemplate? Template { get; init; }

    /// <summary>Every slot value the text was filled with (from the message, the classification, the configuration).</summary>
    public IReadOnlyDictionary<string, string> Slots { get; init; } = ImmutableDictionary<string, string>.Empty;

    public ApprovedSources Approved { get; init; } = ApprovedSources.None;

    /// <summary>
    /// Slots whose values the sender wrote (the subject, the name they signed with). They may be quoted back, but a link,
    /// address or phone number in them is the sender's, not a source: an automatic reply must not repeat it from the company.
    /// </summary>
    public IReadOnlySet<string> QuotedSlots { get; init; } = ImmutableHashSet<string>.Empty;

    /// <summary>The mail being answered: its sender, its language and any instruction it carries.</summary>
    public InboundMessage? Message { get; init; }
}

/// <summary>
/// Values an outgoing text may always contain: URLs (as prefixes), domains (their URLs and addresses), email addresses,
/// phone numbers and approved paragraphs (a price sheet). The configured template slot values count as approved.
/// </summary>
public sealed record ApprovedSources(ImmutableArray<string> Values)
{
    public static ApprovedSources None { get; } = new([]);

    public bool AllowsUrl(string url)
    {
        var host = Uri.TryCreate(url.StartsWith("www.", StringComparison.OrdinalIgnoreCase) ? "https://" + url : url, UriKind.Absolute, out var uri) ? uri.Host : null;
        return Values.Any(v => IsUrl(v) ? UnderPrefix(url, v.TrimEnd('/')) || SendLint.Contains(v, url)
            : IsDomain(v) ? host is not null && OnDomain(host, v)
            : SendLint.Contains(v, url));
    }

    public bool AllowsEmail(string address) => Values.Any(v =>
        IsDomain(v) ? OnDomain(address[(address.IndexOf('@', StringComparison.Ordinal) + 1)..], v) : SendLint.Contains(v, address));

    public bool AllowsPhone(string phone)
    {
        var digits = SendLint.Digits(phone);
        return digits.Length > 0 && Values.Any(v => SendLint.Digits(v) is { Length: > 0 } d && (d == digits || SendLint.Contains(v, phone)));
    }

    public bool Mentions(string text) => Values.Any(v => SendLint.Contains(v, text));

    /// <summary>The URL is the prefix or lies under it: <c>https://docs.contoso.example</c> does not allow <c>https://docs.contoso.example.evil.example</c>.</summary>
    private static bool UnderPrefix(string url, string prefix) =>
        url.StartsWith(prefix, StringComparison.OrdinalIgnoreCase) && (url.Length == prefix.Length || url[prefix.Length] is '/' or '?' or '#');

    private static bool IsUrl(string v) => v.StartsWith("http://", StringComparison.OrdinalIgnoreCase) || v.StartsWith("https://", StringComparison.OrdinalIgnoreCase);

    private static bool IsDomain(string v) => !v.Contains(' ', StringComparison.Ordinal) && !v.Contains('@', StringComparison.Ordinal) && !v.Contains('/', StringComparison.Ordinal)
        && v.Contains('.', StringComparison.Ordinal) && !v.Any(char.IsAsciiDigit);

    private static bool OnDomain(string host, string domain) =>
        host.Equals(domain, StringComparison.OrdinalIgnoreCase) || host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The send-safety lint, run on every outgoing text: commitments the template does not carry, facts (prices, dates, URLs,
/// phone numbers, email addresses) from no slot and no approved source, placeholders left in, a third party's personal
/// data, an instruction from the incoming mail echoed back, and a reply in another language than the mail's.
/// </summary>
public static partial class SendLint
{
    public const string CommitmentRule = "commitment";
    public const string UnsourcedRule = "unsourced-fact";
    public const string PlaceholderRule = "placeholder";
    public const string ThirdPartyRule = "third-party-data";
    public const string InjectionRule = "injected-instruction";
    public const string LanguageRule = "language";
    public const string ParaphraseRule = "paraphrase-added-fact";
    public const string MissingSlotRule = "missing-slot";

    private static readonly string[] PersonalKinds = [PiiRedactor.Email, PiiRedactor.Phone, PiiRedactor.Card, PiiRedactor.Iban, PiiRedactor.NationalId, PiiRedactor.IpAddress, PiiRedactor.Address];

    public static LintResult Lint(string draft, LintContext context)
    {
        var findings = new List<LintFinding>();
        var pii = PiiRedactor.Find(draft);
        CheckCommitments(draft, context, findings);
        CheckFacts(draft, context, pii, findings);
        CheckPlaceholders(draft, findings);
        CheckThirdParty(context, pii, findings);
        CheckInjection(draft, context, findings);
        CheckLanguage(draft, context, findings);
        return new LintResult([.. findings.Distinct()]);
    }

    /// <summary>
    /// A paraphrase may change the tone, never the facts: every number, price, date, URL, email address, phone number,
    /// name-like capitalized word and commitment in it must already be in the original.
    /// </summary>
    public static LintResult ParaphraseCheck(string original, string paraphrase)
    {
        var findings = new List<LintFinding>();
        void Added(string what, string value) => findings.Add(new LintFinding(ParaphraseRule, $"the paraphrase adds {what} '{value}'"));

        var numbers = NumberPattern().Matches(original).Select(m => m.Value).ToHashSet(StringComparer.Ordinal);
        foreach (var number in NumberPattern().Matches(paraphrase).Select(m => m.Value).Where(n => !numbers.Contains(n)))
        {
            Added("the number", number);
        }

        foreach (var url in Urls(paraphrase).Where(u => !Contains(original, u)))
        {
            Added("the link", url);
        }

        foreach (var span in PiiRedactor.Find(paraphrase).Where(s => s.Kind is PiiRedactor.Email or PiiRedactor.Phone && !Contains(original, s.Value)))
        {
            Added(span.Kind == PiiRedactor.Email ? "the address" : "the phone number", span.Value);
        }

        foreach (var fact in PricePattern().Matches(paraphrase).Concat(DatePattern().Matches(paraphrase)).Select(m => m.Value).Where(v => !Contains(original, v)))
        {
            Added("the fact", fact);
        }

        var words = WordPattern().Matches(original).Select(m => m.Value.ToLowerInvariant()).ToHashSet(StringComparer.Ordinal);
        foreach (Match word in CapitalizedPattern().Matches(paraphrase))
        {
            if (word.Value != "I" && !AtSentenceStart(paraphrase, word.Index) && !words.Contains(word.Value.ToLowerInvariant()))
            {
                Added("the name", word.Value);
            }
        }

        var carried = Commitments.Find(original).Select(c => c.Kind).ToHashSet(StringComparer.Ordinal);
        foreach (var (kind, text) in Commitments.Find(paraphrase).Where(c => !carried.Contains(c.Kind)))
        {
            Added($"a {kind} commitment", text);
        }

        return new LintResult([.. findings.Distinct()]);
    }

    private static void CheckCommitments(string draft, LintContext context, List<LintFinding> findings)
    {
        // Slot values are approved configuration (a price sheet) or quoted from the mail (its subject): the promise
        // would be the template's own words or what a paraphrase added, so those are what is searched.
        var own = context.Slots.Values.Where(v => v.Length >= 3).OrderByDescending(v => v.Length)
            .Aggregate(draft, (text, value) => text.Replace(value, " \u2026 ", StringComparison.Ordinal));
        foreach (var (kind, words) in Commitments.Find(own))
        {
            if (context.Template?.CarriesCommitment(kind) != true)
            {
                findings.Add(new LintFinding(CommitmentRule, $"'{words}' makes a {kind} commitment that template {context.Template?.Id ?? "(none)"} does not carry"));
            }
        }
    }

    private static void CheckFacts(string draft, LintContext context, ImmutableArray<PiiSpan> pii, List<LintFinding> findings)
    {
        var sources = context.Slots.Values.Append(context.Template?.Body ?? string.Empty).ToList();
        var trusted = context.Slots.Where(s => !context.QuotedSlots.Contains(s.Key)).Select(s => s.Value).Append(context.Template?.Body ?? string.Empty).ToList();
        bool Sourced(string value) => sources.Any(s => Contains(s, value)) || context.Approved.Mentions(value);
        bool Trusted(string value) => trusted.Any(s => Contains(s, value)) || context.Approved.Mentions(value);
        void Unsourced(string what, string value) =>
            findings.Add(new LintFinding(UnsourcedRule, $"the {what} '{value}' comes from no slot and no approved source"));

        foreach (var price in PricePattern().Matches(draft).Select(m => m.Value.Trim()).Where(p => !Sourced(p)))
        {
            Unsourced("price", price);
        }

        foreach (var date in DatePattern().Matches(draft).Select(m => m.Value.Trim()).Where(d => !Sourced(d)))
        {
            Unsourced("date", date);
        }

        foreach (var url in Urls(draft).Where(u => !Trusted(u) && !context.Approved.AllowsUrl(u)))
        {
            Unsourced("link", url);
        }

        foreach (var span in pii)
        {
            var sourced = span.Kind switch
            {
                PiiRedactor.Email => Trusted(span.Value) || IsSender(span.Value, context) || context.Approved.AllowsEmail(span.Value),
                PiiRedactor.Phone => Trusted(span.Value) || context.Approved.AllowsPhone(span.Value),
                _ => true,
            };
            if (!sourced && !IsThirdParty(span, context))
            {
                Unsourced(span.Kind == PiiRedactor.Email ? "email address" : "phone number", span.Value);
            }
        }
    }

    private static void CheckPlaceholders(string draft, List<LintFinding> findings)
    {
        foreach (var placeholder in PlaceholderPattern().Matches(draft).Select(m => m.Value).Distinct(StringComparer.Ordinal))
        {
            findings.Add(new LintFinding(PlaceholderRule, $"'{placeholder}' was left unresolved"));
        }
    }

    private static void CheckThirdParty(LintContext context, ImmutableArray<PiiSpan> pii, List<LintFinding> findings)
    {
        foreach (var span in pii.Where(s => IsThirdParty(s, context)))
        {
            findings.Add(new LintFinding(ThirdPartyRule, $"the {span.Kind.ToLowerInvariant().Replace('_', ' ')} '{span.Value}' belongs neither to the sender nor to the company's approved sources"));
        }
    }

    /// <summary>Personal data that is neither the sender's address nor approved (configured) company data.</summary>
    private static bool IsThirdParty(PiiSpan span, LintContext context) =>
        PersonalKinds.Contains(span.Kind) && span.Kind switch
        {
            PiiRedactor.Email => !IsSender(span.Value, context) && !context.Approved.AllowsEmail(span.Value),
            PiiRedactor.Phone => !context.Approved.AllowsPhone(span.Value),
            _ => !context.Approved.Mentions(span.Value),
        };

    private static bool IsSender(string address, LintContext context) =>
        context.Message is { } m && (m.From.Address.Equals(address, StringComparison.OrdinalIgnoreCase) || m.ReplyAddress.Address.Equals(address, StringComparison.OrdinalIgnoreCase));

    /// <summary>Sentences of the mail that instruct the assistant (and the two after each, which carry what it was told to say), and text the mail asks to be said.</summary>
    private static void CheckInjection(string draft, LintContext context, List<LintFinding> findings)
    {
        if (context.Message is not { } message)
        {
            return;
        }

        var incoming = message.Subject + "\n" + message.Latest;
        var sentences = SentencePattern().Matches(incoming).Select(m => m.Value.Trim()).Where(s => s.Length > 0).ToList();
        var instructions = new List<string>();
        for (var i = 0; i < sentences.Count; i++)
        {
            if (LlmPrompt.LooksLikeInjection(sentences[i]))
            {
                instructions.AddRange(sentences.Skip(i).Take(3));
            }
        }

        instructions.AddRange(AskedToSay().Matches(incoming).Select(m => m.Groups["said"].Value));
        var draftWords = " " + string.Join(' ', Words(draft)) + " ";
        foreach (var instruction in instructions.Distinct(StringComparer.Ordinal))
        {
            var words = Words(instruction);
            var window = Math.Min(5, words.Count);
            if (window < 3)
            {
                continue;
            }

            for (var i = 0; i + window <= words.Count; i++)
            {
                if (draftWords.Contains(" " + string.Join(' ', words.Skip(i).Take(window)) + " ", StringComparison.Ordinal))
                {
                    findings.Add(new LintFinding(InjectionRule, $"the draft repeats what the incoming mail told the assistant to say: \"{Shorten(instruction)}\""));
                    break;
                }
            }
        }

        if (LlmPrompt.LooksLikeInjection(draft) && LlmPrompt.LooksLikeInjection(incoming))
        {
            findings.Add(new LintFinding(InjectionRule, "the draft carries the incoming mail's instruction to the assistant"));
        }
    }

    private static void CheckLanguage(string draft, LintContext context, List<LintFinding> findings)
    {
        if (context.Message?.Language is not { } expected)
        {
            return;
        }

        var actual = LanguageGuess.Guess(draft) ?? context.Template?.Language;
        if (actual is not null && actual != expected)
        {
            findings.Add(new LintFinding(LanguageRule, $"the reply is in '{actual}', the incoming mail in '{expected}'"));
        }
    }

    private static IEnumerable<string> Urls(string text) => UrlPattern().Matches(text).Select(m => m.Value.TrimEnd('.', ',', ';', ':', '!', '?', ')'));

    private static bool AtSentenceStart(string text, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            var c = text[i];
            if (c == '\n')
            {
                return true;
            }

            if (!char.IsWhiteSpace(c))
            {
                return c is '.' or '!' or '?' or ':' or '"' or '\u201C' or '(' or '-' or '\u2022' or '*';
            }
        }

        return true;
    }

    private static List<string> Words(string text) => [.. WordPattern().Matches(text).Select(m => m.Value.ToLowerInvariant())];

    private static string Shorten(string text) => text.Length > 80 ? text[..77] + "..." : text;

    /// <summary>True when <paramref name="value"/> occurs in <paramref name="source"/>, ignoring case and runs of white space.</summary>
    internal static bool Contains(string source, string value) =>
        value.Length > 0 && Collapse(source).Contains(Collapse(value), StringComparison.OrdinalIgnoreCase);

    internal static string Digits(string value) => string.Concat(value.Where(char.IsAsciiDigit));

    private static string Collapse(string text)
    {
        var sb = new StringBuilder(text.Length);
        var space = false;
        foreach (var c in text)
        {
            if (char.IsWhiteSpace(c))
            {
                space = sb.Length > 0;
                continue;
            }

            if (space)
            {
                sb.Append(' ');
                space = false;
            }

            sb.Append(char.ToLower(c, CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }

    [GeneratedRegex(@"(?:[$€£¥]\s?\d(?:[\d,.']*\d)?|\b(?:USD|EUR|GBP|CHF|SEK|NOK|DKK|JPY|AUD|CAD)\s?\d(?:[\d,.']*\d)?|\b\d(?:[\d,.']*\d)?\s?(?:USD|EUR|GBP|CHF|SEK|NOK|DKK|JPY|AUD|CAD|dollars?|euros?|pounds?)\b|(?<![\w.])\d+(?:[.,]\d+)?\s?%)", RegexOptions.IgnoreCase)]
    private static partial Regex PricePattern();

    [GeneratedRegex(@"\b(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|(?:mon|tues|wednes|thurs|fri|satur|sun)day|\d{1,2}(?:st|nd|rd|th)?\s+(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\b(?:\s+\d{4})?|(?:january|february|march|april|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)\.?\s+\d{1,2}(?:st|nd|rd|th)?\b(?:,?\s+\d{4})?|\d{1,2}:\d{2}(?:\s?[ap]m)?|\d{1,2}\s?[ap]m)\b", RegexOptions.IgnoreCase)]
    private static partial Regex DatePattern();

    [GeneratedRegex(@"\b(?:https?://|www\.)[^\s<>""'\]]+", RegexOptions.IgnoreCase)]
    private static partial Regex UrlPattern();

    [GeneratedRegex(@"\{\{[^}]*\}\}|\{[a-z][a-z0-9_]*\}|\[[A-Z][A-Z_]*_\d+\]|\[(?:your|customer|client|first|last|company|insert|recipient)(?:[ _][^\]\n]{0,30})?\]|(?-i:\b(?:TODO|TBD|XXX)\b)", RegexOptions.IgnoreCase)]
    private static partial Regex PlaceholderPattern();

    [GeneratedRegex(@"\d+(?:[.,:/]\d+)*")]
    private static partial Regex NumberPattern();

    [GeneratedRegex(@"[\p{L}\p{N}]+")]
    private static partial Regex WordPattern();

    [GeneratedRegex(@"(?<![\p{L}\p{N}])\p{Lu}[\p{L}\p{N}'\-]*")]
    private static partial Regex CapitalizedPattern();

    [GeneratedRegex(@"[^.!?\n]+[.!?]?")]
    private static partial Regex SentencePattern();

    [GeneratedRegex(@"\b(?:say|write|reply|respond|answer|include|state|confirm|tell (?:me|us|them|the customer))\b[^""\u201C\u201D\n]{0,40}[""\u201C](?<said>[^""\u201D\n]{8,})[""\u201D]", RegexOptions.IgnoreCase)]
    private static partial Regex AskedToSay();
}
