using System.Collections.Concurrent;
using StackExchange.Redis;

namespace Sift.Filtering;

/// <summary>
/// The loop guard: at most N automatic replies to one sender per window, so two auto-responders can never
/// talk to each other forever. Shared by all workers through Redis in production.
/// </summary>
public interface IAutoReplyGuard
{
    /// <summary>Counts one automatic reply to the sender; false when the sender already had its share in this window.</summary>
    Task<bool> TryAcquireAsync(string sender, int limit, TimeSpan window, CancellationToken cancellationToken);
}

/// <summary>The guard's store cannot be reached: the caller must not send automatically.</summary>
public sealed class LoopGuardUnavailableException(string store, Exception inner)
    : Exception($"The auto-reply loop guard cannot reach {store}.", inner);

public sealed class InProcessAutoReplyGuard(TimeProvider time) : IAutoReplyGuard
{
    private readonly ConcurrentDictionary<string, (DateTimeOffset WindowStart, int Count)> _counts = new(StringComparer.OrdinalIgnoreCase);

    public Task<bool> TryAcquireAsync(string sender, int limit, TimeSpan window, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var allowed = false;
        _counts.AddOrUpdate(
            sender,
            _ => { allowed = limit > 0; return (now, allowed ? 1 : 0); },
            (_, current) =>
            {
                var fresh = now - current.WindowStart >= window ? (WindowStart: now, Count: 0) : current;
                allowed = fresh.Count < limit;
                return allowed ? (fresh.WindowStart, fresh.Count + 1) : fresh;
            });
        return Task.FromResult(allowed);
    }
}

public sealed class RedisAutoReplyGuard(IConnectionMultiplexer redis) : IAutoReplyGuard
{
    // INCR and PEXPIRE in one script, so a crash between them cannot leave a counter that never expires.
    private const string Script = "local c = redis.call('INCR', KEYS[1]) if c == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[1]) end return c";

    public async Task<bool> TryAcquireAsync(string sender, int limit, TimeSpan window, CancellationToken cancellationToken)
    {
        var key = new RedisKey($"sift:autoreply:{sender.ToLowerInvariant()}");
        try
        {
            var count = (long)await redis.GetDatabase().ScriptEvaluateAsync(Script, [key], [(long)window.TotalMilliseconds]);
            return count <= limit;
        }
        catch (RedisException ex)
        {
            throw new LoopGuardUnavailableException("Redis", ex);
        }
    }
}
