using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sift.Hosting;
using Sift.Mail;

namespace Sift.Policy;

public static class PolicyExtensions
{
    /// <summary>
    /// The routing policy (the document at <c>Sift:Policy:File</c>, loaded when the host starts and watched for new
    /// versions) and the reply transport (the dry-run outbox until a real transport is configured).
    /// </summary>
    public static IHostApplicationBuilder AddSiftPolicy(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<PolicyOptions>().BindConfiguration(PolicyOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<RoutingPolicy>();
        builder.Services.LoadAtStart<PolicyStore>();
        builder.Services.AddHostedService<PolicyWatcher>();
        builder.Services.AddSingleton<OutboxFolderTransport>();
        builder.Services.AddSingleton<IMailTransport>(sp => sp.GetRequiredService<OutboxFolderTransport>());
        return builder;
    }
}
