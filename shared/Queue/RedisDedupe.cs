using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Sift.Queue;

/// <summary>Production dedupe shared by every web and worker replica: Redis SET NX with a time to live.</summary>
public sealed class RedisDedupe(IConnectionMultiplexer redis, IOptions<DedupeOptions> options) : IMessageDedupe
{
    public Task<bool> TryMarkNewAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken) =>
        redis.GetDatabase().StringSetAsync(DedupeOptions.Key(mailbox, internetMessageId), 1, options.Value.TimeToLive, When.NotExists);

    public Task ForgetAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken) =>
        redis.GetDatabase().KeyDeleteAsync(DedupeOptions.Key(mailbox, internetMessageId));
}
