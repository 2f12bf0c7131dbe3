using Polly;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sift.Approvals.Slack;

public static class SlackExtensions
{
    /// <summary>
    /// Slack approvals: options, the Web API client and the review lookup. Idle unless <c>Sift:Slack</c> is configured; a
    /// partial configuration stops the host at start, naming the missing key.
    /// </summary>
    public static IHostApplicationBuilder AddSiftSlack(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SlackOptions>()
            .BindConfiguration(SlackOptions.Section)
            .ValidateDataAnnotations()
            .ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<SlackOptions>, SlackOptionsValidator>();
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental, but the documented way to replace the defaults' handler for one client.
        builder.Services.AddHttpClient(SlackApi.HttpClientName, http => http.Timeout = TimeSpan.FromSeconds(10))
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(resilience =>
            {
                // A post must not be repeated blindly (it is a side effect, found again by its metadata), and a 429's Retry-After
                // can be longer than an interaction may wait: statuses go back to the workflow's backoff; only a lost connection retries here.
                // A connection that failed after the request was written may have posted, so only reads and updates retry here.
                resilience.Retry.ShouldHandle = args => ValueTask.FromResult(
                    args.Outcome.Exception is HttpRequestException && args.Context.GetRequestMessage()?.RequestUri?.AbsolutePath.EndsWith("/chat.postMessage", StringComparison.Ordinal) != true);
                // views.open must happen within Slack's 3 s: a slow attempt is given up rather than kept past the trigger's life.
                resilience.AttemptTimeout.Timeout = TimeSpan.FromSeconds(5);
            });
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<SlackApi>();
        builder.Services.AddSingleton<SlackReviews>();
        return builder;
    }

    /// <summary>Names the missing key, which a fixed validation message cannot.</summary>
    private sealed class SlackOptionsValidator : IValidateOptions<SlackOptions>
    {
        public ValidateOptionsResult Validate(string? name, SlackOptions options) =>
            options.Configured && options.MissingKey() is { } missing
                ? ValidateOptionsResult.Fail($"Slack is partly configured: {missing} is missing (set it, or remove every Sift:Slack setting to keep reviews in the console).")
                : ValidateOptionsResult.Success;
    }
}
