using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sift.Mail;

namespace Sift.Policy;

public static class PolicyExtensions
{
    /// <summary>The routing policy and the reply transport (the dry-run outbox until a real transport is configured).</summary>
    public static IHostApplicationBuilder AddSiftPolicy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RoutingPolicy>();
        builder.Services.AddSingleton<OutboxFolderTransport>();
        builder.Services.AddSingleton<IMailTransport>(sp => sp.GetRequiredService<OutboxFolderTransport>());
        return builder;
    }
}
