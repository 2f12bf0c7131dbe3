using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sift.Filtering;
using Sift.Storage;

namespace Sift.Queue;

public static class QueueExtensions
{
    /// <summary>Ingestion into the work queue, with dedupe and the auto-reply loop guard in Redis when configured, in process otherwise.</summary>
    public static IHostApplicationBuilder AddSiftQueue(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<DedupeOptions>().BindConfiguration(DedupeOptions.Section);
        builder.Services.AddSingleton<WorkSignal>();
        builder.Services.AddSingleton<MessageIntake>();
        if (builder.Configuration.UsesRedis())
        {
            builder.Services.AddSingleton<IMessageDedupe, RedisDedupe>();
            builder.Services.AddSingleton<IAutoReplyGuard, RedisAutoReplyGuard>();
        }
        else
        {
            builder.Services.AddSingleton<IMessageDedupe, InProcessDedupe>();
            builder.Services.AddSingleton<IAutoReplyGuard, InProcessAutoReplyGuard>();
        }

        return builder;
    }
}
