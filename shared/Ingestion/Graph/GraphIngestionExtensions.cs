using System.Security.Cryptography.X509Certificates;
using Azure.Core;
using Azure.Identity;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Authentication.Azure;
using Sift.Ingestion.Graph;

// The two entry points live in Sift.Ingestion, beside AddSiftIngestion, so Program.cs needs no extra using.
#pragma warning disable IDE0130 // Namespace does not match folder structure
namespace Sift.Ingestion;
#pragma warning restore IDE0130

public static class GraphIngestionExtensions
{
    /// <summary>Maps <c>/webhooks/graph</c> and <c>/webhooks/graph/lifecycle</c> when Graph ingestion is configured.</summary>
    public static IEndpointRouteBuilder MapGraphWebhooks(this IEndpointRouteBuilder app) => GraphWebhooks.Map(app);

    /// <summary>
    /// Microsoft Graph ingestion: the webhook's dependencies, the ingest handler, and (worker role) the subscription
    /// manager and the periodic delta. Everything stays idle unless <c>Sift:Graph</c> names a tenant, an app and mailboxes.
    /// </summary>
    public static IHostApplicationBuilder AddGraphIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<GraphOptions>()
            .BindConfiguration(GraphOptions.Section)
            .ValidateDataAnnotations()
            .Validate(o => !o.Enabled || Guid.TryParse(o.TenantId, out _), "Sift:Graph:TenantId must be the tenant's id (a GUID): notifications carry it in that form.")
            .Validate(o => !o.Enabled || o.NotificationUrl is not null, "Sift:Graph:NotificationUrl is required when Graph ingestion is configured.")
            .Validate(o => !o.Enabled || o.LifecycleNotificationUrl is not null, "Sift:Graph:LifecycleNotificationUrl is required when Graph ingestion is configured: without it Graph never says that a subscription needs reauthorizing, was removed or missed notifications, and mail can stop silently.")
            .Validate(o => !o.Enabled || !string.IsNullOrEmpty(o.ClientSecret) || !string.IsNullOrEmpty(o.CertificatePath), "Sift:Graph:ClientSecret or Sift:Graph:CertificatePath is required when Graph ingestion is configured.")
            .Validate(o => o.RenewBefore < o.SubscriptionLifetime, "Sift:Graph:RenewBefore must be shorter than SubscriptionLifetime.")
            .ValidateOnStart();
        builder.Services.AddSingleton<IAuthenticationProvider>(sp =>
        {
            // Unconfigured, nothing calls Graph: the handler exists (the ingest runner lists every source) but idles.
            var graph = sp.GetRequiredService<IOptions<GraphOptions>>().Value;
            return graph.Enabled || graph.CanAuthenticate
                // The token is for the Graph host in BaseUrl (graph.microsoft.com, or a national cloud's), and sent to it only.
                ? new AzureIdentityAuthenticationProvider(Credential(graph), allowedHosts: [graph.BaseUrl.Host], scopes: [$"https://{graph.BaseUrl.Host}/.default"])
                : new AnonymousAuthenticationProvider();
        });
        builder.Services.AddSingleton<GraphMail>();
        builder.Services.AddSingleton<GraphSubscriptionStore>();
        builder.Services.AddSingleton<GraphSubscriptionManager>();
        builder.Services.AddSingleton<IIngestHandler, GraphIngestHandler>();
        builder.Services.AddHostedService<GraphSubscriptionService>();
        return builder;
    }

    /// <summary>App-only credentials: a client secret, or a certificate file.</summary>
    private static TokenCredential Credential(GraphOptions options)
    {
        if (!string.IsNullOrEmpty(options.ClientSecret))
        {
            return new ClientSecretCredential(options.TenantId, options.ClientId, options.ClientSecret);
        }

        if (!string.IsNullOrEmpty(options.CertificatePath))
        {
            var certificate = X509CertificateLoader.LoadPkcs12FromFile(options.CertificatePath, options.CertificatePassword);
            return new ClientCertificateCredential(options.TenantId, options.ClientId, certificate);
        }

        throw new InvalidOperationException("Graph ingestion needs Sift:Graph:ClientSecret or Sift:Graph:CertificatePath.");
    }
}
