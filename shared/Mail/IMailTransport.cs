namespace Sift.Mail;

/// <summary>
/// Sends replies. The seam between Sift and Graph, Gmail, SMTP or the dry-run outbox. Every transport must be able to
/// tell whether a reply with a given idempotency key already left, so that a crash between sending and recording
/// the send never sends twice.
/// </summary>
public interface IMailTransport
{
    string Name { get; }

    Task<SendReceipt?> FindSentAsync(string idempotencyKey, CancellationToken cancellationToken);

    Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken);
}
