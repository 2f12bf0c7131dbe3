using System.Collections.Concurrent;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Google.Apis.Auth.OAuth2;
using Microsoft.Extensions.Options;

namespace Sift.Ingestion.Gmail;

/// <summary>Gmail answered 404: the history start is too old, or the message is gone.</summary>
internal sealed class GmailNotFoundException(string message) : Exception(message);

/// <summary>
/// The few Gmail REST calls Sift makes, each as the mailbox's own user (domain-wide delegation). Throttling (429, 403
/// rate-limit reasons) and server errors become <see cref="IngestRetryException"/> with the peer's Retry-After, so the
/// ingest queue waits durably instead of this client retrying inline.
/// </summary>
internal sealed class GmailApi(IHttpClientFactory clients, GmailAccessTokens tokens, TimeProvider time)
{
    public const string HttpClientName = "gmail";

    public Task<GmailHistoryList> ListHistoryAsync(string mailbox, ulong startHistoryId, string? pageToken, CancellationToken cancellationToken) =>
        GetAsync(
            mailbox,
            $"history?startHistoryId={startHistoryId}&historyTypes=messageAdded&labelId=INBOX&maxResults=500{Page(pageToken)}",
            GmailJsonContext.Default.GmailHistoryList,
            cancellationToken);

    public Task<GmailRawMessage> GetRawMessageAsync(string mailbox, string id, CancellationToken cancellationToken) =>
        GetAsync(mailbox, $"messages/{Uri.EscapeDataString(id)}?format=raw", GmailJsonContext.Default.GmailRawMessage, cancellationToken);

    public Task<GmailMessageList> ListInboxAsync(string mailbox, string query, int maxResults, string? pageToken, CancellationToken cancellationToken) =>
        GetAsync(
            mailbox,
            $"messages?labelIds=INBOX&q={Uri.EscapeDataString(query)}&maxResults={maxResults}{Page(pageToken)}",
            GmailJsonContext.Default.GmailMessageList,
            cancellationToken);

    public Task<GmailProfile> GetProfileAsync(string mailbox, CancellationToken cancellationToken) =>
        GetAsync(mailbox, "profile", GmailJsonContext.Default.GmailProfile, cancellationToken);

    public async Task<GmailWatchResponse> WatchAsync(string mailbox, string topic, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, Path(mailbox, "watch"))
        {
            Content = JsonContent.Create(new GmailWatchRequest(topic, ["INBOX"], "INCLUDE"), GmailJsonContext.Default.GmailWatchRequest),
        };
        return await SendAsync(mailbox, request, GmailJsonContext.Default.GmailWatchResponse, cancellationToken);
    }

    private static string Page(string? pageToken) => pageToken is null ? string.Empty : $"&pageToken={Uri.EscapeDataString(pageToken)}";

    private static string Path(string mailbox, string rest) => $"gmail/v1/users/{Uri.EscapeDataString(mailbox)}/{rest}";

    private async Task<T> GetAsync<T>(string mailbox, string rest, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Path(mailbox, rest));
        return await SendAsync(mailbox, request, type, cancellationToken);
    }

    private async Task<T> SendAsync<T>(string mailbox, HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(mailbox, cancellationToken));
        using var response = await clients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new JsonException($"Gmail answered {request.RequestUri} with an empty body.");
        }

        var error = await ReadErrorAsync(response, cancellationToken);
        var what = $"Gmail {request.Method} {request.RequestUri?.AbsolutePath} answered {(int)response.StatusCode} {error?.Status ?? response.ReasonPhrase}: {error?.Message}";
        var rateLimited = response.StatusCode == HttpStatusCode.Forbidden
            && error?.Errors?.Any(e => e.Reason is "rateLimitExceeded" or "userRateLimitExceeded") == true;
        return response.StatusCode switch
        {
            HttpStatusCode.NotFound => throw new GmailNotFoundException(what),
            HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError => throw new IngestRetryException(what, RetryAfter(response)),
            _ when rateLimited => throw new IngestRetryException(what, RetryAfter(response)),
            _ => throw new HttpRequestException(what, null, response.StatusCode),
        };
    }

    private static async Task<GoogleError?> ReadErrorAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        try
        {
            return (await response.Content.ReadFromJsonAsync(GmailJsonContext.Default.GoogleErrorBody, cancellationToken))?.Error;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            return null;
        }
    }

    /// <summary>The Retry-After the peer sent (seconds or a date), else none: the queue's own backoff then applies.</summary>
    private TimeSpan RetryAfter(HttpResponseMessage response) => response.Headers.RetryAfter switch
    {
        { Delta: { } delta } => delta,
        { Date: { } date } when date > time.GetUtcNow() => date - time.GetUtcNow(),
        _ => TimeSpan.Zero,
    };
}

/// <summary>
/// Access tokens for Gmail, one delegated credential per mailbox from the service account's key file
/// (<see cref="GmailOptions.CredentialsFile"/>), scoped to <see cref="Scope"/> only. The library caches and refreshes them.
/// </summary>
internal sealed class GmailAccessTokens(IOptions<GmailOptions> options)
{
    /// <summary>Reading bodies needs gmail.readonly (gmail.metadata has no bodies and no search).</summary>
    public const string Scope = "https://www.googleapis.com/auth/gmail.readonly";

    private readonly ConcurrentDictionary<string, Lazy<GoogleCredential>> _credentials = new(StringComparer.OrdinalIgnoreCase);

    public Task<string> GetAsync(string mailbox, CancellationToken cancellationToken) => GetAsync(mailbox, [Scope], cancellationToken);

    /// <summary>A token for other scopes (the Gmail reply transport asks for gmail.send and gmail.readonly), cached apart.</summary>
    public async Task<string> GetAsync(string mailbox, IReadOnlyList<string> scopes, CancellationToken cancellationToken)
    {
        var credential = _credentials.GetOrAdd($"{mailbox}\n{string.Join(' ', scopes)}", _ => new Lazy<GoogleCredential>(() => Create(mailbox, scopes), LazyThreadSafetyMode.PublicationOnly));
        return await credential.Value.UnderlyingCredential.GetAccessTokenForRequestAsync(cancellationToken: cancellationToken);
    }

    private GoogleCredential Create(string mailbox, IReadOnlyList<string> scopes)
    {
        var file = options.Value.CredentialsFile;
        if (string.IsNullOrWhiteSpace(file))
        {
            // Not permanent: the job retries, and succeeds once the key is configured.
            throw new InvalidOperationException($"Gmail calls need {GmailOptions.Section}:CredentialsFile (a service account key with domain-wide delegation).");
        }

        // Loading as ServiceAccountCredential refuses other credential types a tampered file could name.
        return CredentialFactory.FromFile<ServiceAccountCredential>(file)
            .ToGoogleCredential()
            .CreateScoped(scopes)
            .CreateWithUser(mailbox);
    }
}
