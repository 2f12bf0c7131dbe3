using System.Net.Http.Headers;
using System.Text;
using Azure.Core;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Authentication.Azure;
using Sift.Ingestion.Graph;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion.Graph;

/// <summary>A Sift host configured for Graph ingestion against a <see cref="FakeGraphServer"/>, and the helpers the Graph tests share.</summary>
internal static class GraphTestHost
{
    public const string Tenant = "84bd8158-6d4d-4958-8b9f-9d6445542f95";
    public const string Mailbox = SiftTestHost.Mailbox;

    public static SiftTestHost Create(TestDatabase database, FakeGraphServer graph, IReadOnlyDictionary<string, string?>? extra = null)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Sift:Graph:TenantId"] = Tenant,
            ["Sift:Graph:ClientId"] = "8e460676-ae3f-4b1e-8790-ee0fb5d6148f",
            ["Sift:Graph:ClientSecret"] = "not-used-in-tests",
            ["Sift:Graph:NotificationUrl"] = "https://sift.example/webhooks/graph",
            ["Sift:Graph:LifecycleNotificationUrl"] = "https://sift.example/webhooks/graph/lifecycle",
            ["Sift:Graph:Mailboxes:0"] = Mailbox,
            ["Sift:Graph:BaseUrl"] = graph.BaseUrl,
        };
        foreach (var (key, value) in extra ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        // The production provider (Azure Identity through Kiota), with a credential that never calls Entra ID.
        return new SiftTestHost(database, settings, services => services.AddSingleton<IAuthenticationProvider>(
            new AzureIdentityAuthenticationProvider(new FakeCredential(), allowedHosts: ["127.0.0.1"], scopes: ["https://graph.microsoft.com/.default"])));
    }

    /// <summary>Lets the subscription manager create the mailbox's subscription; returns its id and the clientState Graph was given.</summary>
    public static async Task<(string Id, string ClientState)> SubscribeAsync(SiftTestHost host, FakeGraphServer graph)
    {
        await host.Services.GetRequiredService<GraphSubscriptionManager>().EnsureAllAsync(CancellationToken.None);
        var stored = await host.Services.GetRequiredService<GraphSubscriptionStore>().FindByMailboxAsync(Mailbox, CancellationToken.None);
        Assert.NotNull(stored);
        return (stored.Id, graph.Subscriptions[stored.Id]["clientState"]!.GetValue<string>());
    }

    public static string Notification(string subscriptionId, string clientState, string messageId, string tenant = Tenant) =>
        FakeGraphServer.Fixture("notification-message-created.json")
            .Replace("{subscriptionId}", subscriptionId, StringComparison.Ordinal)
            .Replace("{clientState}", clientState, StringComparison.Ordinal)
            .Replace("{messageId}", messageId, StringComparison.Ordinal)
            .Replace("{tenantId}", tenant, StringComparison.Ordinal);

    public static string Lifecycle(string subscriptionId, string clientState, string lifecycleEvent) =>
        FakeGraphServer.Fixture("lifecycle-notification.json")
            .Replace("{subscriptionId}", subscriptionId, StringComparison.Ordinal)
            .Replace("{clientState}", clientState, StringComparison.Ordinal)
            .Replace("{lifecycleEvent}", lifecycleEvent, StringComparison.Ordinal)
            .Replace("{tenantId}", Tenant, StringComparison.Ordinal);

    public static async Task<HttpResponseMessage> PostAsync(SiftTestHost host, string body, string path = "/webhooks/graph")
    {
        using var content = new StringContent(body, Encoding.UTF8);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return await host.CreateClient().PostAsync(new Uri(path, UriKind.Relative), content);
    }

    public static async Task<long> CountJobsAsync(SiftTestHost host, string state, string? kind = null)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>(
            $"SELECT COUNT(*) FROM ingest_jobs WHERE source = 'graph' AND state = @state{(kind is null ? string.Empty : " AND kind = @kind")}", new { state, kind });
    }

    public static async Task<long> CountAsync(SiftTestHost host, string table)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<long>($"SELECT COUNT(*) FROM {table}");
    }

    internal sealed class FakeCredential : TokenCredential
    {
        public override AccessToken GetToken(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            new(FakeGraphServer.Token, DateTimeOffset.MaxValue);

        public override ValueTask<AccessToken> GetTokenAsync(TokenRequestContext requestContext, CancellationToken cancellationToken) =>
            ValueTask.FromResult(GetToken(requestContext, cancellationToken));
    }
}
