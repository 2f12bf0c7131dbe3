using Microsoft.Extensions.Configuration;
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
        builder.Services.AddSingleton<LocalDispatch>();
        builder.Services.AddSingleton<MessageIntake>();
        // Chosen when first resolved, so configuration added after the builder phase (hosts in tests) is honoured.
        builder.Services.AddSingleton<IMessageDedupe>(sp => sp.GetRequiredService<IConfiguration>().UsesRedis()
            ? ActivatorUtilities.CreateInstance<RedisDedupe>(sp)
            : ActivatorUtilities.CreateInstance<InProcessDedupe>(sp));
        builder.Services.AddSingleton<IAutoReplyGuard>(sp => sp.GetRequiredService<IConfiguration>().UsesRedis()
            ? ActivatorUtilities.CreateInstance<RedisAutoReplyGuard>(sp)
            : ActivatorUtilities.CreateInstance<InProcessAutoReplyGuard>(sp));
        return builder;
    }
}
