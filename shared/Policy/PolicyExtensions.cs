using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sift.Hosting;

namespace Sift.Policy;

public static class PolicyExtensions
{
    /// <summary>
    /// The routing policy: the document at <c>Sift:Policy:File</c>, loaded when the host starts and watched for new
    /// versions. The reply transports are registered by AddSiftSending (shared/Mail/Transports).
    /// </summary>
    public static IHostApplicationBuilder AddSiftPolicy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<RoutingPolicy>();
        builder.Services.LoadAtStart<PolicyStore>();
        builder.Services.AddHostedService<PolicyWatcher>();
        return builder;
    }
}
