using System.Net;
using System.Security.Cryptography;
using System.Text;
using Dapper;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Graph.Models;
using Microsoft.Kiota.Abstractions;
using Sift.Storage;

namespace Sift.Ingestion.Graph;

/// <summary>A Graph subscription Sift holds for one mailbox.</summary>
public sealed record GraphSubscription(string Id, string Mailbox, string Resource, string ClientStateHash, DateTimeOffset ExpiresAt);

/// <summary>The <c>graph_subscriptions</c> table.</summary>
public sealed class GraphSubscriptionStore(SiftDatabase database, TimeProvider time)
{
    private const string Columns = "id AS Id, mailbox AS Mailbox, resource AS Resource, client_state_hash AS ClientStateHash, expires_at AS ExpiresAt";

    public async Task<GraphSubscription?> FindAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<GraphSubscription>(new CommandDefinition(
            $"SELECT {Columns} FROM graph_subscriptions WHERE id = @id", new { id }, cancellationToken: cancellationToken));
    }

    public async Task<GraphSubscription?> FindByMailboxAsync(string mailbox, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<GraphSubscription>(new CommandDefinition(
            $"SELECT {Columns} FROM graph_subscriptions WHERE mailbox = @mailbox", new { mailbox }, cancellationToken: cancellationToken));
    }

    /// <summary>Stores the mailbox's subscription, replacing the one it had.</summary>
    public async Task SaveAsync(GraphSubscription subscription, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            """
            DELETE FROM graph_subscriptions WHERE mailbox = @Mailbox OR id = @Id;
            INSERT INTO graph_subscriptions (id, mailbox, resource, client_state_hash, expires_at, created_at, updated_at)
            VALUES (@Id, @Mailbox, @Resource, @ClientStateHash, @ExpiresAt, @Now, @Now)
            """,
            new { subscription.Id, subscription.Mailbox, subscription.Resource, subscription.ClientStateHash, subscription.ExpiresAt, Now = time.GetUtcNow() },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public async Task SetExpiryAsync(string id, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            "UPDATE graph_subscriptions SET expires_at = @expiresAt, updated_at = @now WHERE id = @id",
            new { id, expiresAt, now = time.GetUtcNow() },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
    }

    public async Task DeleteAsync(string id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            "DELETE FROM graph_subscriptions WHERE id = @id", new { id }, transaction, cancellationToken: cancellationToken)), cancellationToken);
    }

    /// <summary>The stored form of a clientState: its SHA-256, base64.</summary>
    public static string Hash(string clientState) => Convert.ToBase64String(SHA256.HashData(Encoding.UTF8.GetBytes(clientState)));

    /// <summary>Compares a presented clientState with the stored hash in constant time.</summary>
    public static bool Matches(string? presented, string storedHash)
    {
        Span<byte> expected = stackalloc byte[SHA256.HashSizeInBytes];
        if (presented is null || !Convert.TryFromBase64String(storedHash, expected, out var written) || written != expected.Length)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(presented)), expected);
    }
}

/// <summary>
/// Keeps one Graph subscription per watched mailbox: creates it (with a fresh random clientState and both URLs), renews it
/// well before it expires, recreates it when Graph no longer knows it (404), and on a 409 at creation deletes the
/// conflicting subscriptions of the same resource and URL and creates its own: a subscription Sift has no row for has a
/// clientState Sift cannot check, and its lifecycle URL cannot be changed, so it is not taken over.
/// </summary>
public sealed partial class GraphSubscriptionManager(
    GraphMail graph,
    GraphSubscriptionStore store,
    IOptions<GraphOptions> options,
    TimeProvider time,
    ILogger<GraphSubscriptionManager> logger)
{
    private GraphOptions Options => options.Value;

    public static string ResourceFor(string mailbox) => $"users/{mailbox}/mailFolders('inbox')/messages";

    /// <summary>Creates what is missing and renews what expires soon, for every configured mailbox. Returns the mailboxes whose subscription was created.</summary>
    public async Task<IReadOnlyList<string>> EnsureAllAsync(CancellationToken cancellationToken)
    {
        var created = new List<string>();
        foreach (var mailbox in Options.Mailboxes.Where(m => !string.IsNullOrWhiteSpace(m)).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            try
            {
                if (await EnsureAsync(mailbox, cancellationToken))
                {
                    created.Add(mailbox);
                }
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogEnsureFailed(logger, ex, mailbox);
            }
        }

        return created;
    }

    /// <summary>Returns true when a subscription had to be created (notifications may have been missed: catch up).</summary>
    public async Task<bool> EnsureAsync(string mailbox, CancellationToken cancellationToken)
    {
        var current = await store.FindByMailboxAsync(mailbox, cancellationToken);
        if (current is null)
        {
            await CreateAsync(mailbox, cancellationToken);
            return true;
        }

        if (current.ExpiresAt - time.GetUtcNow() > Options.RenewBefore)
        {
            return false;
        }

        return !await RenewAsync(current, cancellationToken);
    }

    /// <summary>Renews (and so reauthorizes) a subscription; recreates it when Graph answers 404. Returns false when it was recreated.</summary>
    public async Task<bool> RenewAsync(GraphSubscription subscription, CancellationToken cancellationToken)
    {
        var expires = time.GetUtcNow() + Options.SubscriptionLifetime;
        try
        {
            var renewed = await graph.Client.Subscriptions[subscription.Id].PatchAsync(new Subscription { ExpirationDateTime = expires }, cancellationToken: cancellationToken);
            await store.SetExpiryAsync(subscription.Id, renewed?.ExpirationDateTime ?? expires, cancellationToken);
            LogRenewed(logger, subscription.Mailbox, subscription.Id);
            return true;
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == (int)HttpStatusCode.NotFound)
        {
            LogRecreating(logger, subscription.Mailbox, subscription.Id);
            await store.DeleteAsync(subscription.Id, cancellationToken);
            await CreateAsync(subscription.Mailbox, cancellationToken);
            return false;
        }
    }

    /// <summary>Deletes the mailbox's subscription (if Graph still has it) and creates a new one.</summary>
    public async Task RecreateAsync(string mailbox, CancellationToken cancellationToken)
    {
        if (await store.FindByMailboxAsync(mailbox, cancellationToken) is { } old)
        {
            await DeleteRemoteAsync(old.Id, cancellationToken);
            await store.DeleteAsync(old.Id, cancellationToken);
        }

        await CreateAsync(mailbox, cancellationToken);
    }

    public async Task<GraphSubscription> CreateAsync(string mailbox, CancellationToken cancellationToken)
    {
        var resource = ResourceFor(mailbox);
        var clientState = Convert.ToBase64String(RandomNumberGenerator.GetBytes(48));
        var notificationUrl = Options.NotificationUrl?.ToString() ?? throw new InvalidOperationException("Sift:Graph:NotificationUrl is not set.");
        var expires = time.GetUtcNow() + Options.SubscriptionLifetime;

        // A new model per request: the SDK's backing store sends only changed values, so a model sent once posts as {} the second time.
        Subscription Request() => new()
        {
            ChangeType = "created",
            Resource = resource,
            NotificationUrl = notificationUrl,
            LifecycleNotificationUrl = Options.LifecycleNotificationUrl?.ToString(),
            ExpirationDateTime = expires,
            ClientState = clientState,
        };

        Subscription? created;
        try
        {
            created = await graph.Client.Subscriptions.PostAsync(Request(), cancellationToken: cancellationToken);
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == (int)HttpStatusCode.Conflict)
        {
            var removed = await DeleteConflictingAsync(resource, notificationUrl, cancellationToken);
            LogConflict(logger, mailbox, removed);
            created = await graph.Client.Subscriptions.PostAsync(Request(), cancellationToken: cancellationToken);
        }

        var subscription = new GraphSubscription(
            created?.Id ?? throw new InvalidOperationException("Graph created a subscription without an id."),
            mailbox,
            resource,
            GraphSubscriptionStore.Hash(clientState),
            created.ExpirationDateTime ?? expires);
        await store.SaveAsync(subscription, cancellationToken);
        LogCreated(logger, mailbox, subscription.Id, subscription.ExpiresAt);
        return subscription;
    }

    private async Task<int> DeleteConflictingAsync(string resource, string notificationUrl, CancellationToken cancellationToken)
    {
        var removed = 0;
        var page = await graph.Client.Subscriptions.GetAsync(cancellationToken: cancellationToken);
        while (page is not null)
        {
            foreach (var existing in page.Value ?? [])
            {
                if (existing.Id is { } id
                    && string.Equals(Normalize(existing.Resource), Normalize(resource), StringComparison.OrdinalIgnoreCase)
                    && string.Equals(existing.NotificationUrl?.TrimEnd('/'), notificationUrl.TrimEnd('/'), StringComparison.OrdinalIgnoreCase))
                {
                    await DeleteRemoteAsync(id, cancellationToken);
                    await store.DeleteAsync(id, cancellationToken);
                    removed++;
                }
            }

            page = page.OdataNextLink is { } next
                ? await graph.Client.Subscriptions.WithUrl(next).GetAsync(cancellationToken: cancellationToken)
                : null;
        }

        return removed;

        static string? Normalize(string? value) => value?.TrimStart('/');
    }

    private async Task DeleteRemoteAsync(string id, CancellationToken cancellationToken)
    {
        try
        {
            await graph.Client.Subscriptions[id].DeleteAsync(cancellationToken: cancellationToken);
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == (int)HttpStatusCode.NotFound)
        {
            // Already gone (expired or removed by Graph): nothing to delete.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Graph subscription {SubscriptionId} created for {Mailbox}, expires {ExpiresAt}")]
    private static partial void LogCreated(ILogger logger, string mailbox, string subscriptionId, DateTimeOffset expiresAt);

    [LoggerMessage(Level = LogLevel.Information, Message = "Graph subscription {SubscriptionId} of {Mailbox} renewed")]
    private static partial void LogRenewed(ILogger logger, string mailbox, string subscriptionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph no longer knows subscription {SubscriptionId} of {Mailbox}: recreating it")]
    private static partial void LogRecreating(ILogger logger, string mailbox, string subscriptionId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Graph answered 409 creating the subscription of {Mailbox}: deleted {Removed} conflicting subscription(s) and created a new one")]
    private static partial void LogConflict(ILogger logger, string mailbox, int removed);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not create or renew the Graph subscription of {Mailbox}")]
    private static partial void LogEnsureFailed(ILogger logger, Exception exception, string mailbox);
}
