using System.Globalization;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;

namespace Sift.Approvals.Slack;

/// <summary>
/// A Slack Web API call that failed: <c>ok: false</c> with Slack's error code, a 429 with its Retry-After, or a 5xx. The
/// workflow retries it with its backoff (a failed post or update is never half done: Slack applies a call or refuses it).
/// </summary>
public sealed class SlackApiException(string method, string error, TimeSpan? retryAfter = null)
    : Exception(retryAfter is { } wait
        ? string.Create(CultureInfo.InvariantCulture, $"Slack {method} was rate limited ({error}); Slack asked to retry after {wait.TotalSeconds:0} s.")
        : $"Slack {method} failed: {error}.")
{
    public string Method { get; } = method;

    /// <summary>Slack's error code (e.g. <c>channel_not_found</c>, <c>not_in_channel</c>, <c>invalid_auth</c>), or the HTTP status.</summary>
    public string Error { get; } = error;

    public TimeSpan? RetryAfter { get; } = retryAfter;

    /// <summary>Whether trying again later can succeed; <c>channel_not_found</c> or <c>invalid_auth</c> cannot until someone fixes the setup.</summary>
    public bool IsTransient =>
        RetryAfter is not null
        || Error is "ratelimited" or "internal_error" or "fatal_error" or "service_unavailable" or "request_timeout"
        || Error.StartsWith("HTTP 5", StringComparison.Ordinal);
}

/// <summary>The few Web API methods Sift uses, with the bot token; each checks <c>ok</c>, because Slack answers most errors with HTTP 200.</summary>
public sealed class SlackApi(IHttpClientFactory httpClients, IOptionsMonitor<SlackOptions> options)
{
    public const string HttpClientName = "slack";

    /// <summary>The metadata event type that marks Sift's posts.</summary>
    public const string MetadataEventType = "sift_review";

    /// <summary><c>chat.postMessage</c>, marked with the idempotency key in its metadata; returns where it landed.</summary>
    public async Task<SlackPost> PostMessageAsync(string channel, string text, JsonArray? blocks, string idempotencyKey, string? threadTs, CancellationToken cancellationToken)
    {
        var body = new JsonObject
        {
            ["channel"] = channel,
            ["text"] = text,
            ["unfurl_links"] = false,
            ["unfurl_media"] = false,
            ["metadata"] = new JsonObject
            {
                ["event_type"] = MetadataEventType,
                ["event_payload"] = new JsonObject { ["idempotency_key"] = idempotencyKey },
            },
        };
        if (blocks is not null)
        {
            body["blocks"] = blocks;
        }

        if (threadTs is not null)
        {
            body["thread_ts"] = threadTs;
        }

        var response = await CallAsync("chat.postMessage", body, cancellationToken);
        return new SlackPost(response.Channel ?? channel, response.Ts ?? throw new SlackApiException("chat.postMessage", "the answer has no ts"));
    }

    /// <summary>
    /// Finds a post made under <paramref name="idempotencyKey"/> since <paramref name="since"/>: in the channel's history, or
    /// in a thread's replies when <paramref name="threadTs"/> is given. This is how a post whose record was lost in a crash
    /// is recognised instead of repeated.
    /// </summary>
    public async Task<SlackPost?> FindPostAsync(string channel, string idempotencyKey, DateTimeOffset since, string? threadTs, CancellationToken cancellationToken)
    {
        // A minute of slack for clock differences between Sift and Slack.
        var oldest = (since - TimeSpan.FromMinutes(1)).ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var query = $"channel={Uri.EscapeDataString(channel)}&oldest={oldest}&inclusive=true&limit=200&include_all_metadata=true";
        var method = threadTs is null ? "conversations.history" : "conversations.replies";
        if (threadTs is not null)
        {
            query += $"&ts={Uri.EscapeDataString(threadTs)}";
        }

        var response = await GetAsync(method, query, cancellationToken);
        var found = response.Messages?.FirstOrDefault(m =>
            m.Metadata is { EventType: MetadataEventType, EventPayload: { } payload }
            && payload.TryGetValue("idempotency_key", out var key)
            && key.ValueKind == JsonValueKind.String
            && key.GetString() == idempotencyKey);
        return found?.Ts is { } ts ? new SlackPost(channel, ts) : null;
    }

    /// <summary><c>chat.update</c>: replaces the card's blocks (the buttons give way to who decided).</summary>
    public async Task UpdateAsync(SlackPost post, string text, JsonArray blocks, CancellationToken cancellationToken) =>
        await CallAsync("chat.update", new JsonObject { ["channel"] = post.Channel, ["ts"] = post.Ts, ["text"] = text, ["blocks"] = blocks }, cancellationToken);

    /// <summary><c>views.open</c>: must be called within 3 s of the click, with the click's trigger id (usable once).</summary>
    public async Task OpenViewAsync(string triggerId, JsonObject view, CancellationToken cancellationToken) =>
        await CallAsync("views.open", new JsonObject { ["trigger_id"] = triggerId, ["view"] = view }, cancellationToken);

    /// <summary>Posts an ephemeral note to the clicker through the interaction's response_url (no token needed: the URL is the credential).</summary>
    public async Task RespondAsync(Uri responseUrl, string text, CancellationToken cancellationToken)
    {
        var body = new JsonObject { ["response_type"] = "ephemeral", ["replace_original"] = false, ["text"] = text };
        using var content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await httpClients.CreateClient(HttpClientName).PostAsync(responseUrl, content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new SlackApiException("response_url", $"HTTP {(int)response.StatusCode}");
        }
    }

    private async Task<SlackResponse> CallAsync(string method, JsonObject body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(options.CurrentValue.ApiBaseUrl, method))
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        return await SendAsync(method, request, cancellationToken);
    }

    private async Task<SlackResponse> GetAsync(string method, string query, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(options.CurrentValue.ApiBaseUrl, $"{method}?{query}"));
        return await SendAsync(method, request, cancellationToken);
    }

    private async Task<SlackResponse> SendAsync(string method, HttpRequestMessage request, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", options.CurrentValue.BotToken);
        using var response = await httpClients.CreateClient(HttpClientName).SendAsync(request, cancellationToken);
        if (response.StatusCode == HttpStatusCode.TooManyRequests)
        {
            var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(30);
            throw new SlackApiException(method, "ratelimited", wait);
        }

        if (!response.IsSuccessStatusCode)
        {
            throw new SlackApiException(method, $"HTTP {(int)response.StatusCode}");
        }

        SlackResponse? answer;
        try
        {
            answer = await response.Content.ReadFromJsonAsync(SlackJsonContext.Default.SlackResponse, cancellationToken);
        }
        catch (JsonException)
        {
            throw new SlackApiException(method, "the answer is not Slack's JSON");
        }

        if (answer is not { Ok: true })
        {
            throw new SlackApiException(method, answer?.Error ?? "ok is false and no error was given");
        }

        return answer;
    }
}
