using System.Threading.Channels;
using Sift.Mail;

namespace Sift.Queue;

/// <summary>
/// A message handed to this process's worker by the intake, with what the worker would otherwise read back from the
/// database: a new instance has no steps, events or side effects yet, so the worker starts it without loading anything.
/// </summary>
public sealed record DispatchedMessage(Guid Id, string Mailbox, InboundMessage Message);

/// <summary>
/// Hands a message ingested in this process straight to this process's worker. Its workflow row is inserted already
/// claimed (running, leased to that worker), which saves the claim's round trip and commit and the wait for a poll.
/// It applies only while the worker has a free slot; otherwise the row is inserted queued, for any worker to claim.
/// If the process dies before running it, the lease expires and another worker claims it like any other.
/// </summary>
public sealed class LocalDispatch(WorkSignal signal)
{
    private readonly Channel<DispatchedMessage> _dispatched = Channel.CreateUnbounded<DispatchedMessage>(new UnboundedChannelOptions { SingleReader = true });
    private volatile Attachment? _worker;

    public ChannelReader<DispatchedMessage> Dispatched => _dispatched.Reader;

    /// <summary>Called by the worker of this process when it starts: its identity, its lease and its slots.</summary>
    public void Attach(string owner, TimeSpan lease, SemaphoreSlim slots) => _worker = new Attachment(owner, lease, slots);

    public void Detach() => _worker = null;

    /// <summary>Takes one of the worker's slots, or returns null when there is no worker here or it is busy.</summary>
    public DispatchTicket? TryReserve() =>
        _worker is { } worker && worker.Slots.Wait(0) ? new DispatchTicket(worker.Owner, worker.Lease, worker.Slots) : null;

    /// <summary>Gives the reserved slot and the inserted instance to the worker.</summary>
    public void Dispatch(DispatchTicket ticket, DispatchedMessage message)
    {
        ticket.Consume();
        _dispatched.Writer.TryWrite(message);
        signal.Notify();
    }

    private sealed record Attachment(string Owner, TimeSpan Lease, SemaphoreSlim Slots);
}

/// <summary>A reserved worker slot: dispatched, or returned when disposed unused.</summary>
public sealed class DispatchTicket(string owner, TimeSpan lease, SemaphoreSlim slots) : IDisposable
{
    private int _open = 1;

    public string Owner => owner;

    public TimeSpan Lease => lease;

    internal void Consume() => Interlocked.Exchange(ref _open, 0);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref _open, 0) == 1)
        {
            slots.Release();
        }
    }
}
