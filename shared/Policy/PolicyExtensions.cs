using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
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
        builder.Services.AddSingleton<IValidateOptions<PolicyOptions>>(new RetiredPolicySettings(builder.Configuration));
        builder.Services.AddSingleton<PolicyStore>();
        builder.Services.AddSingleton<RoutingPolicy>();
        builder.Services.LoadAtStart<PolicyStore>();
        builder.Services.AddHostedService<PolicyWatcher>();
        return builder;
    }
}

/// <summary>
/// The policy moved from settings to a document: a setting such as <c>Sift:Policy:Intents</c> is no longer read, so a host
/// that still has one stops at start instead of silently running without it.
/// </summary>
internal sealed class RetiredPolicySettings(IConfiguration configuration) : IValidateOptions<PolicyOptions>
{
    private static readonly HashSet<string> Current = new(StringComparer.OrdinalIgnoreCase)
    {
        nameof(PolicyOptions.File), nameof(PolicyOptions.KillSwitch), nameof(PolicyOptions.DryRun), nameof(PolicyOptions.ReloadInterval),
    };

    public ValidateOptionsResult Validate(string? name, PolicyOptions options)
    {
        var retired = configuration.GetSection(PolicyOptions.Section).GetChildren().Select(c => c.Key).Where(k => !Current.Contains(k)).ToList();
        return retired.Count == 0
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(
                $"Sift:Policy:{string.Join(", Sift:Policy:", retired)} is no longer read: the policy is the JSON document at Sift:Policy:File "
                + "(see docs/policy.md). Move these values into it and remove the settings.");
    }
}
