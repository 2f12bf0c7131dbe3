using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sift.Approvals.Teams;

public static class TeamsExtensions
{
    /// <summary>
    /// Teams approvals: options, the webhook client, the approval links and the anti-forgery tokens of the approval pages.
    /// Idle unless <c>Sift:Teams</c> is configured; a partial configuration stops the host at start, naming the missing key.
    /// </summary>
    public static IHostApplicationBuilder AddSiftTeams(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TeamsOptions>()
            .BindConfiguration(TeamsOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<TeamsOptions>, TeamsOptionsValidator>();
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental, but the documented way to replace the defaults' handler for one client.
        builder.Services.AddHttpClient(TeamsWebhook.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(30))
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(resilience =>
            {
                // Statuses go back to the workflow, which honours Retry-After with its backoff; only a lost connection retries here.
                resilience.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException);
            });
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<ApprovalLinks>();
        builder.Services.AddSingleton<TeamsWebhook>();
        builder.Services.AddAntiforgery(antiforgery => antiforgery.Cookie.Name = "sift-approval-af");
        return builder;
    }

    /// <summary>Names the missing key, which a fixed validation message cannot.</summary>
    private sealed class TeamsOptionsValidator : IValidateOptions<TeamsOptions>
    {
        public ValidateOptionsResult Validate(string? name, TeamsOptions options) =>
            options.Configured && options.Problem() is { } problem
                ? ValidateOptionsResult.Fail($"Teams is partly configured: {problem} (set it, or remove every Sift:Teams setting to keep reviews in the console).")
                : ValidateOptionsResult.Success;
    }
}
