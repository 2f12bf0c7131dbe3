using System.Collections.Immutable;
using System.Security.Cryptography;
using MimeKit;

namespace Sift.Mail;

/// <summary>Turns raw RFC 822 bytes into an <see cref="InboundMessage"/> with MimeKit.</summary>
public static class MimeNormalizer
{
    /// <summary>Parses a raw message. Returns the problems found instead of throwing, so callers can answer 400.</summary>
    public static MailParseResult Parse(ReadOnlyMemory<byte> raw, DateTimeOffset receivedAt)
    {
        if (raw.IsEmpty)
        {
            return MailParseResult.Invalid("body", "The request body is empty: expected a raw RFC 822 message.");
        }

        MimeMessage message;
        try
        {
            using var stream = new MemoryStream(raw.ToArray(), writable: false);
            message = MimeMessage.Load(ParserOptions.Default, stream);
        }
        catch (FormatException ex)
        {
            return MailParseResult.Invalid("body", $"The body is not a parsable RFC 822 message: {ex.Message}");
        }

        var from = message.From.Mailboxes.FirstOrDefault(m => !string.IsNullOrWhiteSpace(m.Address)) ?? message.Sender;
        EmailAddress sender;
        if (from is not null && !string.IsNullOrWhiteSpace(from.Address))
        {
            sender = new EmailAddress(from.Address, NullIfEmpty(from.Name));
        }
        else if (message.Headers[HeaderId.From] is { } rawFrom || message.Headers[HeaderId.ReturnPath] is not null)
        {
            // Delivery reports come "From: MAILER-DAEMON <>" or with only a null Return-Path: kept, with no address to
            // answer, so that the pre-filter can record them as machine mail instead of the intake refusing them.
            sender = new EmailAddress(string.Empty, NullIfEmpty(message.From.Mailboxes.FirstOrDefault()?.Name) ?? NullIfEmpty(message.Headers[HeaderId.From]?.Trim()));
        }
        else
        {
            return MailParseResult.Invalid("From", "The message has no From address.");
        }

        if (message.Headers.Count == 0 || (message.Headers[HeaderId.Subject] is null && message.Headers[HeaderId.Date] is null && message.Headers[HeaderId.MessageId] is null))
        {
            return MailParseResult.Invalid("body", "The body has no RFC 822 headers (Subject, Date or Message-ID).");
        }

        var messageId = NormalizeMessageId(message.MessageId) ?? SyntheticMessageId(raw.Span);
        var references = message.References.Select(NormalizeMessageId).OfType<string>().ToImmutableArray();
        var inReplyTo = NormalizeMessageId(message.InReplyTo);
        var text = message.TextBody ?? HtmlToText(message.HtmlBody) ?? string.Empty;
        var (newText, language) = AnalyzeText(message.TextBody, message.HtmlBody);
        var attachments = message.Attachments
            .Select(a => new AttachmentInfo(
                a.ContentDisposition?.FileName ?? a.ContentType.Name ?? "attachment",
                a.ContentType.MimeType,
                DecodedSize(a)))
            .ToImmutableArray();
        // MimeKit keeps Content-* headers on the body entity; the pre-filter needs them (e.g. report-type).
        var headers = message.Headers.Concat(message.Body?.Headers.Where(h => !message.Headers.Contains(h.Field)) ?? [])
            .GroupBy(h => h.Field.ToLowerInvariant())
            .ToImmutableDictionary(g => g.Key, g => string.Join('\n', g.Select(h => h.Value.Trim())));

        return MailParseResult.Valid(new InboundMessage
        {
            InternetMessageId = messageId,
            From = sender,
            ReplyTo = message.ReplyTo.Mailboxes.FirstOrDefault() is { } replyTo ? new EmailAddress(replyTo.Address, NullIfEmpty(replyTo.Name)) : null,
            To = message.To.Mailboxes.Select(m => new EmailAddress(m.Address, NullIfEmpty(m.Name))).ToImmutableArray(),
            Subject = message.Subject ?? string.Empty,
            ReceivedAt = message.Date == DateTimeOffset.MinValue ? receivedAt : message.Date.ToUniversalTime(),
            InReplyTo = inReplyTo,
            References = references,
            ThreadId = references.FirstOrDefault() ?? inReplyTo ?? messageId,
            Text = text.Trim(),
            NewText = newText,
            Language = language,
            HtmlOnly = message.TextBody is null && message.HtmlBody is not null,
            ContentType = message.Body?.ContentType.MimeType.ToLowerInvariant() ?? "text/plain",
            Headers = headers,
            Attachments = attachments,
        });
    }

    /// <summary>Message-IDs are compared without angle brackets and surrounding space.</summary>
    public static string? NormalizeMessageId(string? id)
    {
        if (string.IsNullOrWhiteSpace(id))
        {
            return null;
        }

        var trimmed = id.Trim().Trim('<', '>').Trim();
        return trimmed.Length == 0 ? null : trimmed;
    }

    /// <summary>A message without a Message-ID gets one derived from its bytes, so that posting it twice still dedupes.</summary>
    public static string SyntheticMessageId(ReadOnlySpan<byte> content) =>
        $"{Convert.ToHexStringLower(SHA256.HashData(content))[..32]}@sift.invalid";

    /// <summary>HTML reduced to readable text (see <see cref="HtmlText"/>); null for null.</summary>
    public static string? HtmlToText(string? html) => html is null ? null : HtmlText.ToText(html);

    /// <summary>
    /// The new text of a message (quoted history and signature removed; from the plain-text part when there is one, else
    /// from the HTML without its marked-up quotes) and the guess of its language.
    /// </summary>
    public static (string NewText, string? Language) AnalyzeText(string? plain, string? html)
    {
        var source = plain ?? (html is null ? string.Empty : HtmlText.ToText(html, withoutQuotes: true));
        var newText = ReplyText.Split(source).NewText;
        return (newText, LanguageGuess.Guess(newText));
    }

    private static long DecodedSize(MimeEntity entity)
    {
        if (entity is not MimePart { Content: { } content })
        {
            return 0;
        }

        using var measure = new MimeKit.IO.MeasuringStream();
        content.DecodeTo(measure);
        return measure.Length;
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;




}

/// <summary>A parsed message, or the field that was wrong and why.</summary>
public sealed record MailParseResult(InboundMessage? Message, string? Field, string? Error)
{
    public static MailParseResult Valid(InboundMessage message) => new(message, null, null);

    public static MailParseResult Invalid(string field, string error) => new(null, field, error);
}
