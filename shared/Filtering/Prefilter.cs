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

        if (string.IsNullOrWhiteSpace(message.From.Address))
        {
            return Machine("bounce", "no sender address (e.g. From: MAILER-DAEMON <>): nothing could be answered");
        }

        var localPart = message.From.Address.Split('@')[0];
        if (MailerDaemon().IsMatch(localPart))
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

        if (FeedbackSubject().IsMatch(message.Subject))
        {
            return Machine("feedback_report", "the subject is an abuse complaint report");
        }

        if (BounceSubject().IsMatch(message.Subject))
        {
            return Machine("bounce", "the subject is a delivery failure notice");
        }

        if (BounceText().Match(message.Latest) is { Success: true } failure)
        {
            return Machine("bounce", $"the text is a delivery failure report (\"{failure.Value.Trim()}\")");
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

        // Exchange Online Protection's verdict: SFV:SPM (spam), SFV:BLK (blocked sender), SCL 5 and above.
        if (message.Header("x-forefront-antispam-report") is { } eop && EopVerdict().Match(eop) is { Success: true } verdict)
        {
            return Machine("spam", $"X-Forefront-Antispam-Report {verdict.Value.Trim(';', ' ')} (Exchange Online Protection)");
        }

        if (message.Header("x-spam-status") is { } status && status.TrimStart().StartsWith("yes", StringComparison.OrdinalIgnoreCase))
        {
            return Machine("spam", "X-Spam-Status: Yes from an upstream filter");
        }

        if (SpamSignals.Evaluate(message) is { IsSpam: true } spam)
        {
            return Machine("spam", $"spam signals scored {spam.Points:0.#} (threshold {SpamSignals.Threshold:0.#}): {string.Join("; ", spam.Signals)}");
        }

        if (NoReply().IsMatch(localPart))
        {
            return Machine("no_reply", $"no-reply sender {message.From.Address}");
        }

        return FilterVerdict.Human;
    }

    private static FilterVerdict Machine(string category, string reason) => new(true, category, reason);

    [GeneratedRegex(@"(\bSFV:(SPM|BLK)\b|\bSCL:([5-9])\b)", RegexOptions.IgnoreCase)]
    private static partial Regex EopVerdict();

    [GeneratedRegex(@"^(mailer-?daemon|post_?master|post-master|mail-?delivery-?(system|subsystem)?)$", RegexOptions.IgnoreCase)]
    private static partial Regex MailerDaemon();

    [GeneratedRegex(@"^\s*complaint about message from\b", RegexOptions.IgnoreCase)]
    private static partial Regex FeedbackSubject();

    [GeneratedRegex(@"^\s*(returned mail\b|undeliver(able|ed)\b|delivery status notification|delivery (failure|has failed|failed)|mail delivery (failed|failure)|failure notice\b|non[- ]?delivery (report|notification)|unzustellbar|non remis|message not delivered|warning: could not send message|delayed mail|mail could not be delivered)", RegexOptions.IgnoreCase)]
    private static partial Regex BounceSubject();

    [GeneratedRegex(@"(this is the mail (system|delivery agent) at|delivery to the following recipients? (failed|has been delayed)|the following addresses had permanent fatal errors|could not be delivered to one or more recipients|your message (could not|cannot|wasn't|was not) (be )?delivered|i'm sorry to have to inform you that your message could not|this message was created automatically by mail delivery software|a message that you sent could not be delivered|unable to deliver (your )?message to the following|permanent error\. the following address|---+ ?the following addresses had (permanent|delivery) )", RegexOptions.IgnoreCase)]
    private static partial Regex BounceText();

    [GeneratedRegex(@"^\s*(auto(?=:)|automatic reply|auto(matic)?[- ]?reply|out of (the )?office|abwesenheitsnotiz|automatische antwort|r[ée]ponse automatique|respuesta autom[áa]tica|resposta autom[áa]tica|risposta automatica|automatisch antwoord|automatisk svar|automaattinen vastaus|odpowied[źz] automatyczna)\b|\bis out of (the )?office\b", RegexOptions.IgnoreCase)]
    private static partial Regex VacationSubject();

    [GeneratedRegex(@"^\s*(bulk|junk|list)\b", RegexOptions.IgnoreCase)]
    private static partial Regex PrecedenceBulk();

    [GeneratedRegex(@"^(no-?reply|do-?not-?reply|donotreply)([+.\-_].*)?$", RegexOptions.IgnoreCase)]
    private static partial Regex NoReply();
}
