using System.Text.RegularExpressions;
using Sift.Mail;

namespace Sift.Filtering;

/// <summary>
/// Content and header signals of unsolicited bulk mail, for mail that arrives without an upstream verdict. Each signal
/// adds points; at <see cref="Threshold"/> the message is spam. The weights are deliberately conservative: a customer's
/// message wrongly filtered is worse than a spam that reaches review, where a person discards it.
/// </summary>
public static partial class SpamSignals
{
    public const double Threshold = 5.0;

    public sealed record Score(double Points, IReadOnlyList<string> Signals)
    {
        public bool IsSpam => Points >= Threshold;
    }

    public static Score Evaluate(InboundMessage message)
    {
        var points = 0.0;
        var signals = new List<string>();
        void Add(double weight, string signal)
        {
            points += weight;
            signals.Add(signal);
        }

        if (message.Header("authentication-results") is { } auth)
        {
            foreach (Match m in AuthFailure().Matches(auth))
            {
                Add(m.Groups[1].Value.ToLowerInvariant() is "dmarc" or "compauth" ? 4 : 2, $"{m.Groups[1].Value.ToLowerInvariant()}={m.Groups[2].Value.ToLowerInvariant()}");
            }
        }

        var subject = message.Subject;
        var letters = subject.Count(char.IsLetter);
        if (letters >= 12 && subject.Count(char.IsUpper) >= letters * 0.7)
        {
            Add(1.5, "subject mostly in capitals");
        }

        if (subject.Contains("!!", StringComparison.Ordinal) || subject.Contains("$$", StringComparison.Ordinal))
        {
            Add(1.5, "subject with !! or $$");
        }

        if (SpamSubject().IsMatch(subject))
        {
            Add(2, "subject uses bulk-mail wording");
        }

        if (AdvertisementTag().IsMatch(subject))
        {
            Add(3, "subject tagged as an advertisement");
        }

        var text = message.Text;
        var phrases = SpamPhrase().Matches(text).Select(m => m.Value.ToLowerInvariant()).Distinct(StringComparer.Ordinal).ToList();
        if (phrases.Count > 0)
        {
            Add(Math.Min(6, phrases.Count * 1.5), $"bulk-mail phrases ({string.Join(", ", phrases.Take(4))})");
        }

        if (RemovalInstruction().IsMatch(text))
        {
            Add(2, "instructions to be removed from a list");
        }

        if (Money().Count(text) >= 3)
        {
            Add(1, "many money amounts");
        }

        if (Url().Count(text) >= 4)
        {
            Add(0.5, "many links");
        }

        if (TrackingSuffix().IsMatch(subject))
        {
            Add(1.5, "subject ends in a tracking token");
        }

        if (message.HtmlOnly)
        {
            Add(1, "HTML without a plain-text part");
        }

        if (message.To.IsEmpty || message.Header("to") is { } to && to.Contains("undisclosed", StringComparison.OrdinalIgnoreCase))
        {
            Add(1, "no visible recipient");
        }

        if (message.Header("message-id") is null)
        {
            Add(1, "no Message-ID");
        }

        if (message.Header("x-mailer") is { } mailer && BulkMailer().IsMatch(mailer))
        {
            Add(2, $"bulk mailer ({mailer.Trim()})");
        }

        return new Score(points, signals);
    }

    [GeneratedRegex(@"\b(spf|dkim|dmarc|compauth)\s*=\s*(fail|softfail|permerror)\b", RegexOptions.IgnoreCase)]
    private static partial Regex AuthFailure();

    [GeneratedRegex(@"\b(free|guarantee[d]?|winner|won|cash|viagra|mortgage|refinance|lose weight|weight loss|earn \$|make money|income|debt|credit|casino|lottery|pills?|rates?|cheap|save (up to|\d+%)|limited time|act now|urgent reply|business proposal|investment opportunity|100%)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SpamSubject();

    [GeneratedRegex(@"^\s*\[?(ADV|ADV:|ADVERTISEMENT)\b", RegexOptions.IgnoreCase)]
    private static partial Regex AdvertisementTag();

    [GeneratedRegex(@"\b(click here|order now|act now|call now|limited time( offer)?|risk[- ]free|no obligation|satisfaction guaranteed|money[- ]back guarantee|100% (free|guaranteed|satisfied)|dear friend|this is not (a )?spam|you are receiving this (e-?mail|message) because|special promotion|free (gift|trial|quote|money)|work from home|home[- ]based business|extra income|financial freedom|credit card offers?|lowest (rates?|prices?)|cash bonus|winning notification|next of kin|beneficiary|million (us )?dollars|wire transfer|bulk e-?mail|e-?mail marketing|online pharmacy|meet singles|increase your)\b", RegexOptions.IgnoreCase)]
    private static partial Regex SpamPhrase();

    [GeneratedRegex(@"\b(to (be )?remove[d]? (yourself |your (e-?mail|name|address) )?from (this|our|the|future)|to unsubscribe,? (reply|send|click|e-?mail)|remove in the subject|reply with .?remove.?|opt[- ]?out)\b", RegexOptions.IgnoreCase)]
    private static partial Regex RemovalInstruction();

    [GeneratedRegex(@"\$\s?\d[\d,]*(\.\d\d)?")]
    private static partial Regex Money();

    [GeneratedRegex(@"https?://", RegexOptions.IgnoreCase)]
    private static partial Regex Url();

    [GeneratedRegex(@"\s{2,}[-_#]?[A-Za-z0-9]*\d[A-Za-z0-9]{3,}\s*$")]
    private static partial Regex TrackingSuffix();

    [GeneratedRegex(@"(group mail|bulk|mass mail|worldmerge|mailking|express mail|stealth|atomic mail)", RegexOptions.IgnoreCase)]
    private static partial Regex BulkMailer();
}
