using Microsoft.Extensions.Caching.Memory;
using Microsoft.Extensions.Options;

namespace Sift.Queue;

/// <summary>The embedded default's dedupe: a bounded in-memory cache with a time to live.</summary>
public sealed class InProcessDedupe(IOptions<DedupeOptions> options, TimeProvider time) : IMessageDedupe, IDisposable
{
    private readonly MemoryCache _seen = new(new MemoryCacheOptions { SizeLimit = options.Value.InProcessCapacity, Clock = new TimeProviderClock(time) });
    private readonly Lock _gate = new();

    public Task<bool> TryMarkNewAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        var key = DedupeOptions.Key(mailbox, internetMessageId);
        lock (_gate)
        {
            if (_seen.TryGetValue(key, out _))
            {
                return Task.FromResult(false);
            }

            _seen.Set(key, true, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = options.Value.TimeToLive });
            return Task.FromResult(true);
        }
    }

    public Task ForgetAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        _seen.Remove(DedupeOptions.Key(mailbox, internetMessageId));
        return Task.CompletedTask;
    }

    public void Dispose() => _seen.Dispose();

#pragma warning disable CS0618 // ISystemClock is the only clock MemoryCache accepts.
    private sealed class TimeProviderClock(TimeProvider time) : Microsoft.Extensions.Internal.ISystemClock
    {
        public DateTimeOffset UtcNow => time.GetUtcNow();
    }
#pragma warning restore CS0618
}
