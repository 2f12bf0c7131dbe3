using MimeKit;

namespace Sift.Mail;

/// <summary>A reply Sift sends in the thread of an incoming message, from the mailbox that received it.</summary>
public sealed record OutgoingReply(
    Guid MessageId,
    string Mailbox,
    InboundMessage InReplyTo,
    string Text,
    bool Automatic,
    string IdempotencyKey)
{
    /// <summary>Header that marks Sift's own mail: the pre-filter drops anything carrying it, and transports find a sent reply by it.</summary>
    public const string IdempotencyHeader = "X-Sift-Idempotency-Key";

    /// <summary>The reply's Message-ID (without angle brackets): derived from the key, so every attempt gives the same one and Gmail can be searched for it.</summary>
    public string MimeMessageId => $"{IdempotencyKey.Replace(':', '.')}.{MessageId:N}@sift.invalid";

    /// <summary>Builds the MIME reply: threaded with In-Reply-To and References, RFC 3834 Auto-Submitted when no human approved it.</summary>
    public MimeMessage ToMime(DateTimeOffset now)
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse(Mailbox.Contains('@', StringComparison.Ordinal) ? Mailbox : $"{Mailbox}@sift.invalid"));
        message.To.Add(new MailboxAddress(InReplyTo.ReplyAddress.Name ?? string.Empty, InReplyTo.ReplyAddress.Address));
        message.Subject = InReplyTo.Subject.StartsWith("Re:", StringComparison.OrdinalIgnoreCase) ? InReplyTo.Subject : $"Re: {InReplyTo.Subject}";
        message.Date = now;
        message.MessageId = MimeMessageId;
        message.InReplyTo = InReplyTo.InternetMessageId;
        foreach (var reference in InReplyTo.References)
        {
            message.References.Add(reference);
        }

        message.References.Add(InReplyTo.InternetMessageId);
        message.Headers.Add(IdempotencyHeader, IdempotencyKey);
        if (Automatic)
        {
            message.Headers.Add("Auto-Submitted", "auto-replied");
        }

        message.Body = new TextPart("plain") { Text = Text };
        return message;
    }
}

/// <summary>Proof that a reply left Sift: where it went and the transport's id for it.</summary>
public sealed record SendReceipt(string Transport, string ExternalId, DateTimeOffset SentAt);
