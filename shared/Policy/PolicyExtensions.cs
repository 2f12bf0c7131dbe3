using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Sift.Policy;

public static class PolicyExtensions
{
    /// <summary>The routing policy. The reply transports are registered by AddSiftSending (shared/Mail/Transports).</summary>
    public static IHostApplicationBuilder AddSiftPolicy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<RoutingPolicy>();
        return builder;
    }
}
