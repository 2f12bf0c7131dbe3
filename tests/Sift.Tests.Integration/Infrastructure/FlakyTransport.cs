using System.Collections.Concurrent;
using Sift.Mail;

namespace Sift.Tests.Integration.Infrastructure;

/// <summary>A transport that fails its first sends (as an SMTP server or Graph might) and remembers what it sent.</summary>
public sealed class FlakyTransport(int failures) : IMailTransport
{
    private int _calls;

    public ConcurrentBag<OutgoingReply> Sent { get; } = [];

    public int Calls => _calls;

    public int Failures { get; set; } = failures;

    public string Name => "flaky";

    public Task<SendReceipt?> FindSentAsync(OutgoingReply reply, CancellationToken cancellationToken) =>
        Task.FromResult(Sent.FirstOrDefault(r => r.IdempotencyKey == reply.IdempotencyKey) is { } sent
            ? new SendReceipt(Name, sent.IdempotencyKey, DateTimeOffset.UnixEpoch)
            : null);

    public Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _calls) <= Failures)
        {
            throw new IOException("the mail server closed the connection");
        }

        Sent.Add(reply);
        return Task.FromResult(new SendReceipt(Name, reply.IdempotencyKey, DateTimeOffset.UnixEpoch));
    }
}
