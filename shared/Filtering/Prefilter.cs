using System.Text.RegularExpressions;
using Sift.Mail;

namespace Sift.Filtering;

/// <summary>What the pre-filter decided, and why. Machine mail never reaches a model or a reply.</summary>
public sealed record FilterVerdict(bool IsMachine, string Category, string Reason)
{
    public static readonly FilterVerdict Human = new(false, "human", "no machine-mail signal found");
}

/// <summary>
/// Drops mail Sift must never answer, before any model sees it: auto-replies (RFC 3834), bounces and delivery
/// reports, mailing lists, upstream spam verdicts, no-reply senders and Sift's own replies.
/// </summary>
public static partial class Prefilter
{
    public static FilterVerdict Evaluate(InboundMessage message, string mailbox)
    {
        if (message.Header(OutgoingReply.IdempotencyHeader) is not null
            || string.Equals(message.From.Address, mailbox, StringComparison.OrdinalIgnoreCase))
        {
            return Machine("own_mail", "the message was sent by Sift or by the watched mailbox itself");
        }

        if (message.ContentType == "multipart/report")
        {
            var reportType = message.Header("content-type") ?? string.Empty;
            return reportType.Contains("feedback-report", StringComparison.OrdinalIgnoreCase)
                ? Machine("feedback_report", "multipart/report with an abuse feedback report")
                : Machine("bounce", "multipart/report (a delivery status or disposition notification)");
        }

        var localPart = message.From.Address.Split('@')[0];
        if (localPart.Equals("mailer-daemon", StringComparison.OrdinalIgnoreCase) || localPart.Equals("postmaster", StringComparison.OrdinalIgnoreCase))
        {
            return Machine("bounce", $"sent by {localPart}");
        }

        if (message.Header("return-path") is { } returnPath && returnPath.Trim() == "<>")
        {
            return Machine("bounce", "null Return-Path (<>), the envelope of a delivery report");
        }

        if (message.Header("auto-submitted") is { } autoSubmitted && !autoSubmitted.Trim().StartsWith("no", StringComparison.OrdinalIgnoreCase))
        {
            return Machine("auto_reply", $"Auto-Submitted: {autoSubmitted.Trim()} (RFC 3834)");
        }

        foreach (var header in (string[])["x-autoreply", "x-autorespond", "x-autoresponder"])
        {
            if (message.Header(header) is not null)
            {
                return Machine("auto_reply", $"{header} header present");
            }
        }

        if (message.Header("x-auto-response-suppress") is { } suppress
            && (suppress.Contains("All", StringComparison.OrdinalIgnoreCase) || suppress.Contains("OOF", StringComparison.OrdinalIgnoreCase)))
        {
            return Machine("auto_reply", $"X-Auto-Response-Suppress: {suppress.Trim()}");
        }

        if (VacationSubject().IsMatch(message.Subject))
        {
            return Machine("auto_reply", "the subject is an automatic or out-of-office reply");
        }

        if (message.Header("list-id") is not null || message.Header("list-unsubscribe") is not null)
        {
            return Machine("mailing_list", "List-Id or List-Unsubscribe header (a mailing list or newsletter)");
        }

        if (message.Header("precedence") is { } precedence && PrecedenceBulk().IsMatch(precedence))
        {
            return Machine("mailing_list", $"Precedence: {precedence.Trim()}");
        }

        if (message.Header("x-spam-flag") is { } spamFlag && spamFlag.Trim().Equals("YES", StringComparison.OrdinalIgnoreCase))
        {
            return Machine("spam", "X-Spam-Flag: YES from an upstream filter");
        }

        if (message.Header("x-ms-exchange-organization-scl") is { } scl && int.TryParse(scl.Trim(), out var level) && level >= 5)
        {
            return Machine("spam", $"Exchange spam confidence level {level}");
        }

        if (NoReply().IsMatch(localPart))
        {
            return Machine("no_reply", $"no-reply sender {message.From.Address}");
        }

        return FilterVerdict.Human;
    }

    private static FilterVerdict Machine(string category, string reason) => new(true, category, reason);

    [GeneratedRegex(@"^\s*(automatic reply|auto(matic)?[- ]?reply|out of (the )?office|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|respuesta autom[áa]tica|resposta autom[áa]tica|risposta automatica|automatisch antwoord|automatisk svar|automaattinen vastaus|odpowied[źz] automatyczna)\b", RegexOptions.IgnoreCase)]
    private static partial Regex VacationSubject();

    [GeneratedRegex(@"^\s*(bulk|junk|list)\b", RegexOptions.IgnoreCase)]
    private static partial Regex PrecedenceBulk();

    [GeneratedRegex(@"^(no-?reply|do-?not-?reply|donotreply)([+.\-_].*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex NoReply();
}
