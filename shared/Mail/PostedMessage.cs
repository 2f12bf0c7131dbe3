using System.Collections.Immutable;
using System.Security.Cryptography;
using System.Text;
using MimeKit;

namespace Sift.Mail;

/// <summary>The JSON form of a message posted to <c>POST /api/messages</c> by a client that already parsed it.</summary>
public sealed record PostedMessage
{
    public string? MessageId { get; init; }

    /// <summary>"Name &lt;address&gt;" or a bare address.</summary>
    public string? From { get; init; }

    public string? ReplyTo { get; init; }

    public IReadOnlyList<string>? To { get; init; }

    public string? Subject { get; init; }

    public string? Text { get; init; }

    public string? Html { get; init; }

    public DateTimeOffset? ReceivedAt { get; init; }

    public string? InReplyTo { get; init; }

    public IReadOnlyList<string>? References { get; init; }

    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Validates the posted fields and builds the normalized message; errors are keyed by JSON property name.</summary>
    public InboundMessage? Normalize(DateTimeOffset now, out Dictionary<string, string[]> errors)
    {
        errors = [];
        var from = ParseAddress(From, "from", required: true, errors);
        var replyTo = ParseAddress(ReplyTo, "replyTo", required: false, errors);
        if (Subject is null)
        {
            errors["subject"] = ["subject is required (it may be empty)."];
        }

        if (string.IsNullOrWhiteSpace(Text) && string.IsNullOrWhiteSpace(Html))
        {
            errors["text"] = ["text or html is required."];
        }

        var to = new List<EmailAddress>();
        foreach (var (value, index) in (To ?? []).Select((v, i) => (v, i)))
        {
            if (ParseAddress(value, $"to[{index}]", required: true, errors) is { } address)
            {
                to.Add(address);
            }
        }

        if (errors.Count > 0 || from is null)
        {
            return null;
        }

        var text = !string.IsNullOrWhiteSpace(Text) ? Text : MimeNormalizer.HtmlToText(Html) ?? string.Empty;
        var (newText, language) = MimeNormalizer.AnalyzeText(string.IsNullOrWhiteSpace(Text) ? null : Text, Html);
        var messageId = MimeNormalizer.NormalizeMessageId(MessageId) ?? SyntheticId(from.Address, Subject!, text);
        var references = (References ?? []).Select(MimeNormalizer.NormalizeMessageId).OfType<string>().ToImmutableArray();
        var inReplyTo = MimeNormalizer.NormalizeMessageId(InReplyTo);
        return new InboundMessage
        {
            InternetMessageId = messageId,
            From = from,
            ReplyTo = replyTo,
            To = [.. to],
            Subject = Subject!,
            ReceivedAt = (ReceivedAt ?? now).ToUniversalTime(),
            InReplyTo = inReplyTo,
            References = references,
            ThreadId = references.FirstOrDefault() ?? inReplyTo ?? messageId,
            Text = text.Trim(),
            NewText = newText,
            Language = language,
            HtmlOnly = string.IsNullOrWhiteSpace(Text),
            Headers = (Headers ?? new Dictionary<string, string>()).ToImmutableDictionary(h => h.Key.ToLowerInvariant(), h => h.Value),
        };
    }

    private static EmailAddress? ParseAddress(string? value, string field, bool required, Dictionary<string, string[]> errors)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            if (required)
            {
                errors[field] = [$"{field} is required."];
            }

            return null;
        }

        if (MailboxAddress.TryParse(value, out var mailbox) && mailbox.Address.Contains('@', StringComparison.Ordinal))
        {
            return new EmailAddress(mailbox.Address, string.IsNullOrWhiteSpace(mailbox.Name) ? null : mailbox.Name);
        }

        errors[field] = [$"'{value}' is not an email address."];
        return null;
    }

    private static string SyntheticId(string from, string subject, string text) =>
        MimeNormalizer.SyntheticMessageId(SHA256.HashData(Encoding.UTF8.GetBytes($"{from}\n{subject}\n{text}")));
}
