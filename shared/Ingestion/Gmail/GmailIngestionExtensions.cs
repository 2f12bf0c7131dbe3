using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sift.Ingestion.Gmail;

// The two entry points live in Sift.Ingestion, beside AddSiftIngestion, so Program.cs needs no extra using.
#pragma warning disable IDE0130 // Namespace does not match folder structure
namespace Sift.Ingestion;
#pragma warning restore IDE0130

public static class GmailIngestionExtensions
{
    /// <summary>Maps <c>POST /webhooks/gmail</c> (Pub/Sub push, authenticated by its OIDC token) when Gmail ingestion is configured.</summary>
    public static IEndpointRouteBuilder MapGmailWebhooks(this IEndpointRouteBuilder app) => GmailWebhooks.Map(app);

    /// <summary>
    /// Gmail ingestion: push verification, the Gmail REST client, the ingest handler, and (worker role) the daily watch
    /// renewal. Everything stays idle unless <c>Sift:Gmail</c> names an audience, a push service account and mailboxes.
    /// </summary>
    public static IHostApplicationBuilder AddGmailIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GmailOptions>()
            .BindConfiguration(GmailOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => !o.Enabled || o.Mailboxes.All(m => m.Contains('@', StringComparison.Ordinal)), "Sift:Gmail:Mailboxes must be email addresses.")
            .Validate(o => !o.Enabled || string.IsNullOrWhiteSpace(o.CredentialsFile) || !string.IsNullOrWhiteSpace(o.Topic), "Sift:Gmail:Topic (projects/{project}/topics/{topic}) is required with a CredentialsFile, for users.watch.")
            .ValidateOnStart();
        builder.Services.AddHttpClient(GoogleSigningKeys.HttpClientName);
        builder.Services.AddSingleton<GoogleSigningKeys>();
        builder.Services.AddSingleton<PushTokenVerifier>();
        builder.Services.AddSingleton<GmailAccessTokens>();
#pragma warning disable EXTEXP0001 // RemoveAllResilienceHandlers is experimental, but the documented way to replace the defaults' handler for one client.
        builder.Services.AddHttpClient(GmailApi.HttpClientName, (sp, http) => http.BaseAddress = sp.GetRequiredService<IOptions<GmailOptions>>().Value.BaseUrl)
            .RemoveAllResilienceHandlers()
            .AddStandardResilienceHandler(resilience =>
                // Statuses (429, 5xx) go back to the ingest queue, which honours Retry-After durably; only a lost connection retries here.
                resilience.Retry.ShouldHandle = args => ValueTask.FromResult(args.Outcome.Exception is HttpRequestException));
#pragma warning restore EXTEXP0001
        builder.Services.AddSingleton<GmailApi>();
        builder.Services.AddSingleton<GmailWatch>();
        builder.Services.AddSingleton<IIngestHandler, GmailIngestHandler>();
        builder.Services.AddHostedService<GmailWatchService>();
        return builder;
    }
}
