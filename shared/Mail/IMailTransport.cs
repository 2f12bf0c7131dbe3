namespace Sift.Mail;

/// <summary>
/// Sends replies. The seam between Sift and Graph, Gmail, SMTP or the dry-run outbox. Every transport must be able to
/// tell whether a reply with a given idempotency key already left, so that a crash between sending and recording
/// the send never sends twice.
/// </summary>
public interface IMailTransport
{
    string Name { get; }

    /// <summary>
    /// The receipt of the reply with <paramref name="reply"/>'s idempotency key if it already left, else null. It gets the
    /// whole reply because the transports look in the sending mailbox (Graph, Gmail, IMAP) and by its Message-ID (Gmail).
    /// </summary>
    Task<SendReceipt?> FindSentAsync(OutgoingReply reply, CancellationToken cancellationToken);

    Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken);
}
