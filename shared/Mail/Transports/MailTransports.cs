using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace Sift.Mail.Transports;

/// <summary>
/// The transport the workflow sees: each reply goes through the transport of the mailbox that received the mail
/// (<see cref="SendingOptions.TransportFor"/>). Transports are built on first use, so an unused one needs no settings.
/// </summary>
internal sealed class MailTransports(IOptions<SendingOptions> options, IServiceProvider services) : IMailTransport
{
    public string Name => options.Value.Transport;

    public IMailTransport For(string mailbox) => services.GetRequiredKeyedService<IMailTransport>(options.Value.TransportFor(mailbox));

    public Task<SendReceipt?> FindSentAsync(OutgoingReply reply, CancellationToken cancellationToken) =>
        For(reply.Mailbox).FindSentAsync(reply, cancellationToken);

    public Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken) =>
        For(reply.Mailbox).SendAsync(reply, cancellationToken);
}
