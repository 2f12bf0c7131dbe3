using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Sift.Ingestion.Gmail;

namespace Sift.Mail.Transports;

/// <summary>
/// Replies through the Gmail API as the mailbox that received the mail (the service account's domain-wide delegation,
/// as for ingestion): <c>users.messages.send</c> with the MIME of <see cref="OutgoingReply.ToMime"/> as base64url
/// <c>raw</c> (In-Reply-To, References, the matching subject, <c>Auto-Submitted</c> on automatic replies) and the
/// original's <c>threadId</c>. A sent reply is found again with <c>q=rfc822msgid:</c> and its deterministic Message-ID.
/// </summary>
internal sealed class GmailTransport(IHttpClientFactory clients, GmailAccessTokens tokens, TimeProvider time) : IMailTransport
{
    public const string TransportName = "gmail";

    /// <summary>gmail.send to send; gmail.readonly for the <c>q</c> search (gmail.metadata cannot search).</summary>
    public static readonly IReadOnlyList<string> Scopes = ["https://www.googleapis.com/auth/gmail.send", GmailAccessTokens.Scope];

    public string Name => TransportName;

    public async Task<SendReceipt?> FindSentAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        var found = await FindAsync(reply.Mailbox, reply.MimeMessageId, cancellationToken);
        return found is null ? null : new SendReceipt(Name, found.Id, time.GetUtcNow());
    }

    public async Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        // Mail that came through the API or IMAP has no Gmail thread id: the original, found by its Message-ID, has one.
        var threadId = reply.InReplyTo.ProviderThreadId ?? (await FindAsync(reply.Mailbox, reply.InReplyTo.InternetMessageId, cancellationToken))?.ThreadId;
        var now = time.GetUtcNow();
        using var mime = new MemoryStream();
        await reply.ToMime(now).WriteToAsync(mime, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, Path(reply.Mailbox, "messages/send"))
        {
            Content = JsonContent.Create(new GmailSendRequest(System.Buffers.Text.Base64Url.EncodeToString(mime.ToArray()), threadId), SendingJsonContext.Default.GmailSendRequest),
        };
        var sent = await CallAsync(reply.Mailbox, request, SendingJsonContext.Default.GmailSentMessage, cancellationToken);
        return new SendReceipt(Name, sent.Id, now);
    }

    private async Task<GmailSentMessage?> FindAsync(string mailbox, string messageId, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, Path(mailbox, $"messages?maxResults=1&q={Uri.EscapeDataString($"rfc822msgid:{messageId}")}"));
        var list = await CallAsync(mailbox, request, SendingJsonContext.Default.GmailFoundMessages, cancellationToken);
        return list.Messages is [var first, ..] ? first : null;
    }

    private static string Path(string mailbox, string rest) => $"gmail/v1/users/{Uri.EscapeDataString(mailbox)}/{rest}";

    /// <summary>Throttling (429, 403 rate limits) and server errors become <see cref="TransportRetryException"/> with Google's Retry-After.</summary>
    private async Task<T> CallAsync<T>(string mailbox, HttpRequestMessage request, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", await tokens.GetAsync(mailbox, Scopes, cancellationToken));
        using var response = await clients.CreateClient(GmailApi.HttpClientName).SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return await response.Content.ReadFromJsonAsync(type, cancellationToken)
                ?? throw new JsonException($"Gmail answered {request.RequestUri} with an empty body.");
        }

        GoogleError? error = null;
        try
        {
            error = (await response.Content.ReadFromJsonAsync(GmailJsonContext.Default.GoogleErrorBody, cancellationToken))?.Error;
        }
        catch (Exception ex) when (ex is JsonException or NotSupportedException)
        {
            // Not Google's error shape: the status says enough.
        }

        var what = $"Gmail {request.Method} {request.RequestUri?.AbsolutePath} answered {(int)response.StatusCode} {error?.Status ?? response.ReasonPhrase}: {error?.Message}";
        var rateLimited = response.StatusCode == HttpStatusCode.Forbidden
            && error?.Errors?.Any(e => e.Reason is "rateLimitExceeded" or "userRateLimitExceeded") == true;
        if (response.StatusCode is HttpStatusCode.TooManyRequests or >= HttpStatusCode.InternalServerError || rateLimited)
        {
            var retryAfter = response.Headers.RetryAfter switch
            {
                { Delta: { } delta } => delta,
                { Date: { } date } when date > time.GetUtcNow() => date - time.GetUtcNow(),
                _ => (TimeSpan?)null,
            };
            throw new TransportRetryException(what, retryAfter);
        }

        throw new HttpRequestException(what, null, response.StatusCode);
    }
}

internal sealed record GmailSendRequest(string Raw, string? ThreadId);

internal sealed record GmailSentMessage(string Id, string? ThreadId);

internal sealed record GmailFoundMessages(IReadOnlyList<GmailSentMessage>? Messages);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GmailSendRequest))]
[JsonSerializable(typeof(GmailSentMessage))]
[JsonSerializable(typeof(GmailFoundMessages))]
internal sealed partial class SendingJsonContext : JsonSerializerContext;
