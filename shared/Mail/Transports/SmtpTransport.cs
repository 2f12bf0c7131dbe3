using MailKit;
using MailKit.Net.Imap;
using MailKit.Net.Smtp;
using MailKit.Search;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Sift.Mail.Transports;

/// <summary>
/// Replies through an SMTP submission server (MailKit), as the MIME <see cref="OutgoingReply.ToMime"/> builds: threaded
/// with In-Reply-To and References, <c>Auto-Submitted: auto-replied</c> on automatic replies, a Message-ID derived from
/// the idempotency key. SMTP cannot be asked afterwards whether it took a message, so a copy is appended to the IMAP
/// Sent folder right after the server accepted it, and <see cref="FindSentAsync"/> searches that folder for the
/// <c>X-Sift-Idempotency-Key</c> header. The window left: a crash after the server's 250 and before the copy is
/// stored sends the reply again (with the same Message-ID) when the workflow resumes.
/// </summary>
internal sealed partial class SmtpTransport(IOptions<SendingOptions> options, TimeProvider time, ILogger<SmtpTransport> logger) : IMailTransport
{
    public const string TransportName = "smtp";

    private SmtpSendingOptions Smtp => options.Value.Smtp;

    public string Name => TransportName;

    public async Task<SendReceipt?> FindSentAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        using var imap = await ConnectImapAsync(cancellationToken);
        var folder = await imap.GetFolderAsync(Smtp.SentFolder, cancellationToken);
        await folder.OpenAsync(FolderAccess.ReadOnly, cancellationToken);
        var uids = await folder.SearchAsync(SearchQuery.HeaderContains(OutgoingReply.IdempotencyHeader, reply.IdempotencyKey), cancellationToken);
        SendReceipt? receipt = null;
        if (uids.Count > 0)
        {
            var summary = (await folder.FetchAsync([uids[0]], MessageSummaryItems.Envelope | MessageSummaryItems.InternalDate, cancellationToken)).FirstOrDefault();
            receipt = new SendReceipt(Name, summary?.Envelope?.MessageId ?? uids[0].ToString(), summary?.InternalDate ?? time.GetUtcNow());
        }

        await imap.DisconnectAsync(quit: true, cancellationToken);
        return receipt;
    }

    public async Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var message = reply.ToMime(now);
        using (var smtp = new SmtpClient())
        {
            await smtp.ConnectAsync(Smtp.Host ?? string.Empty, Smtp.Port, Smtp.Security, cancellationToken);
            if (!string.IsNullOrEmpty(Smtp.Username))
            {
                await smtp.AuthenticateAsync(Smtp.Username, Smtp.Password ?? string.Empty, cancellationToken);
            }

            // The envelope sender is the receiving mailbox, like the From header: bounces come back to it.
            await smtp.SendAsync(message, message.From.Mailboxes.First(), message.To.Mailboxes, cancellationToken);
            try
            {
                await smtp.DisconnectAsync(quit: true, CancellationToken.None);
            }
            catch (Exception ex) when (ex is IOException or ProtocolException or SmtpCommandException)
            {
                // The server accepted the reply: a failed QUIT must not make the workflow send it again.
            }
        }

        // Nothing may throw from here on: the reply left, and an exception would have the workflow send it again. The Sent
        // copy is what finds the reply after a crash; when it cannot be stored, the side effect's own record still holds.
        try
        {
            using var imap = await ConnectImapAsync(CancellationToken.None);
            var folder = await imap.GetFolderAsync(Smtp.SentFolder, CancellationToken.None);
            await folder.AppendAsync(new AppendRequest(message, MessageFlags.Seen) { InternalDate = now }, CancellationToken.None);
            await imap.DisconnectAsync(quit: true, CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSentCopyFailed(logger, Smtp.SentFolder, ex);
        }

        return new SendReceipt(Name, message.MessageId ?? reply.IdempotencyKey, now);
    }

    private async Task<ImapClient> ConnectImapAsync(CancellationToken cancellationToken)
    {
        var imap = new ImapClient();
        try
        {
            await imap.ConnectAsync(Smtp.ImapHost ?? string.Empty, Smtp.ImapPort, Smtp.ImapSecurity, cancellationToken);
            await imap.AuthenticateAsync(Smtp.ImapUsername ?? Smtp.Username ?? string.Empty, Smtp.ImapPassword ?? Smtp.Password ?? string.Empty, cancellationToken);
            return imap;
        }
        catch
        {
            imap.Dispose();
            throw;
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "A reply left through SMTP but its copy could not be stored in {Folder}: a crash before the workflow records the send would send it again")]
    private static partial void LogSentCopyFailed(ILogger logger, string folder, Exception exception);
}
