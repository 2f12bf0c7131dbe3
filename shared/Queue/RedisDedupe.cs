using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Sift.Queue;

/// <summary>Production dedupe shared by every web and worker replica: Redis SET NX with a time to live.</summary>
/// <remarks>Redis being down never stops ingestion: the message is treated as new and the unique constraint decides.</remarks>
public sealed class RedisDedupe(IConnectionMultiplexer redis, IOptions<DedupeOptions> options) : IMessageDedupe
{
    public async Task<bool> TryMarkNewAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        try
        {
            return await redis.GetDatabase().StringSetAsync(DedupeOptions.Key(mailbox, internetMessageId), 1, options.Value.TimeToLive, When.NotExists);
        }
        catch (RedisException)
        {
            return true;
        }
    }

    public async Task ForgetAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken)
    {
        try
        {
            await redis.GetDatabase().KeyDeleteAsync(DedupeOptions.Key(mailbox, internetMessageId));
        }
        catch (RedisException)
        {
            // The mark expires with its time to live; the database stays the authority meanwhile.
        }
    }
}
