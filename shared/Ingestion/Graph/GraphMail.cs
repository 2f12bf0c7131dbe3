using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Microsoft.Extensions.Options;
using Microsoft.Graph;
using BodyType = Microsoft.Graph.Models.BodyType;
using ItemBody = Microsoft.Graph.Models.ItemBody;
using Microsoft.Kiota.Abstractions;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Http.HttpClientLibrary.Middleware;
using Sift.Mail;
using AttachmentInfo = Sift.Mail.AttachmentInfo;
using EmailAddress = Sift.Mail.EmailAddress;
using GraphMessage = Microsoft.Graph.Models.Message;

namespace Sift.Ingestion.Graph;

/// <summary>
/// Sift's calls to Microsoft Graph through the SDK: fetch a message, run the inbox delta query, manage subscriptions.
/// The SDK's own retry handler is left out of the pipeline on purpose: a throttled call (429, 503 with Retry-After)
/// must not hold a worker slot while it waits, so it surfaces as <see cref="IngestRetryException"/> and the ingest queue
/// runs the job again after the delay Graph asked for. Nor is the client built by IHttpClientFactory, whose standard
/// resilience handler would retry the same responses behind the queue's back.
/// </summary>
public sealed class GraphMail : IDisposable
{
    private static readonly string[] MessageFields =
    [
        "id", "subject", "from", "sender", "replyTo", "toRecipients", "ccRecipients", "internetMessageId", "conversationId",
        "receivedDateTime", "internetMessageHeaders", "body", "uniqueBody", "hasAttachments",
    ];

    private readonly HttpClient _http;
    private readonly GraphOptions _options;
    private readonly TimeProvider _time;

    public GraphMail(IOptions<GraphOptions> options, IAuthenticationProvider authentication, TimeProvider time)
    {
        _options = options.Value;
        _time = time;
        var handlers = GraphClientFactory.CreateDefaultHandlers().Where(handler => handler is not RetryHandler).ToList();
        _http = GraphClientFactory.Create(handlers, finalHandler: new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
        Client = new GraphServiceClient(_http, authentication, _options.BaseUrl.ToString().TrimEnd('/'));
    }

    public GraphServiceClient Client { get; }

    /// <summary>Fetches a message with its body, unique body and headers, normalized. A deleted message ends the job.</summary>
    public async Task<InboundMessage> FetchAsync(string mailbox, string messageId, CancellationToken cancellationToken)
    {
        var message = await CallAsync(
            "fetch the message",
            () => Client.Users[mailbox].Messages[messageId].GetAsync(
                request =>
                {
                    request.QueryParameters.Select = MessageFields;
                    request.Headers.Add("Prefer", "outlook.body-content-type=\"text\"");
                },
                cancellationToken));
        if (message is null)
        {
            throw new IngestPermanentException($"Graph returned no message {messageId}.");
        }

        var attachments = ImmutableArray<AttachmentInfo>.Empty;
        if (message.HasAttachments == true)
        {
            var listed = await CallAsync(
                "list the attachments",
                () => Client.Users[mailbox].Messages[messageId].Attachments.GetAsync(
                    request => request.QueryParameters.Select = ["name", "contentType", "size"],
                    cancellationToken));
            attachments = [.. (listed?.Value ?? []).Select(a => new AttachmentInfo(a.Name ?? string.Empty, a.ContentType ?? "application/octet-stream", a.Size ?? 0))];
        }

        return message.ToInboundMessage(_time.GetUtcNow()) with { Attachments = attachments };
    }

    /// <summary>
    /// Runs one delta round over the inbox: from <paramref name="deltaLink"/>, or a new round over the mail received since
    /// <see cref="GraphOptions.InitialCatchUp"/>. Returns the ids of created messages and the delta link to store.
    /// </summary>
    public async Task<(IReadOnlyList<string> MessageIds, string? DeltaLink)> DeltaAsync(string mailbox, string? deltaLink, CancellationToken cancellationToken)
    {
        var since = (_time.GetUtcNow() - _options.InitialCatchUp).UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        var url = deltaLink ?? $"{_options.BaseUrl.ToString().TrimEnd('/')}/users/{Uri.EscapeDataString(mailbox)}/mailFolders/inbox/messages/delta" +
            $"?changeType=created&$select=id,receivedDateTime&$filter={Uri.EscapeDataString($"receivedDateTime ge {since}")}";
        var ids = new List<string>();
        var delta = Client.Users[mailbox].MailFolders["inbox"].Messages.Delta;
        while (true)
        {
            var page = await CallAsync("run the delta query", () => delta.WithUrl(url).GetAsDeltaGetResponseAsync(cancellationToken: cancellationToken));
            foreach (var item in page?.Value ?? [])
            {
                if (item.Id is { } id && item.AdditionalData?.ContainsKey("@removed") != true)
                {
                    ids.Add(id);
                }
            }

            if (page?.OdataNextLink is { } next)
            {
                url = next;
                continue;
            }

            return (ids, page?.OdataDeltaLink);
        }
    }

    /// <summary>Runs a Graph call, turning throttling into <see cref="IngestRetryException"/> and a missing item into <see cref="IngestPermanentException"/>.</summary>
    internal async Task<T> CallAsync<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ApiException ex) when (ex.ResponseStatusCode is (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.ServiceUnavailable)
        {
            var delay = RetryAfter(ex) ?? TimeSpan.FromSeconds(30);
            throw new IngestRetryException($"Graph answered {ex.ResponseStatusCode} to {what}; retry after {delay.TotalSeconds:0} s.", delay, ex);
        }
        catch (ApiException ex) when (ex.ResponseStatusCode is (int)HttpStatusCode.NotFound or (int)HttpStatusCode.Gone)
        {
            // 404: the message was deleted (or moved, which changes its id); 410: an expired delta link.
            throw new IngestPermanentException($"Graph answered {ex.ResponseStatusCode} to {what}: it no longer exists.", ex);
        }
    }

    internal TimeSpan? RetryAfter(ApiException exception)
    {
        var header = exception.ResponseHeaders
            .FirstOrDefault(h => string.Equals(h.Key, "Retry-After", StringComparison.OrdinalIgnoreCase)).Value?.FirstOrDefault();
        if (string.IsNullOrWhiteSpace(header))
        {
            return null;
        }

        if (int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return TimeSpan.FromSeconds(seconds);
        }

        return DateTimeOffset.TryParse(header, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at)
            ? TimeSpan.FromTicks(Math.Max(0, (at - _time.GetUtcNow()).Ticks))
            : null;
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Graph's message shape to Sift's <see cref="InboundMessage"/>.</summary>
internal static class GraphMessageMapping
{
    public static InboundMessage ToInboundMessage(this GraphMessage message, DateTimeOffset now)
    {
        var headers = (message.InternetMessageHeaders ?? [])
            .Where(h => !string.IsNullOrEmpty(h.Name))
            .GroupBy(h => h.Name!.ToLowerInvariant(), StringComparer.Ordinal)
            .ToImmutableDictionary(g => g.Key, g => string.Join('\n', g.Select(h => h.Value ?? string.Empty)), StringComparer.Ordinal);
        // Ids without angle brackets, as MimeNormalizer stores them, so that one mail dedupes across sources.
        var messageId = MimeNormalizer.NormalizeMessageId(message.InternetMessageId)
            ?? MimeNormalizer.NormalizeMessageId(headers.GetValueOrDefault("message-id"))
            ?? $"{message.Id}@graph.microsoft.com";
        var inReplyTo = MimeNormalizer.NormalizeMessageId(headers.GetValueOrDefault("in-reply-to"));
        var references = (headers.GetValueOrDefault("references") ?? string.Empty)
            .Split([' ', '\t', '\r', '\n', ','], StringSplitOptions.RemoveEmptyEntries)
            .Select(MimeNormalizer.NormalizeMessageId).OfType<string>().ToArray();

        // The whole body is the text; the new text comes from Graph's uniqueBody (the reply without the quoted history),
        // less its signature, or, without a uniqueBody, from the same analysis as a raw message's.
        static string ToText(ItemBody? body) => body?.ContentType == BodyType.Html ? MimeNormalizer.HtmlToText(body.Content) ?? string.Empty : body?.Content ?? string.Empty;
        var html = (message.Body ?? message.UniqueBody)?.ContentType == BodyType.Html;
        var text = ToText(message.Body ?? message.UniqueBody);
        var (newText, language) = !string.IsNullOrWhiteSpace(message.UniqueBody?.Content)
            ? MimeNormalizer.AnalyzeText(ToText(message.UniqueBody), html: null)
            : MimeNormalizer.AnalyzeText(html ? null : message.Body?.Content, html ? message.Body?.Content : null);
        var from = message.From?.EmailAddress ?? message.Sender?.EmailAddress;

        return new InboundMessage
        {
            InternetMessageId = messageId,
            From = new EmailAddress(from?.Address ?? string.Empty, NullIfEmpty(from?.Name)),
            ReplyTo = message.ReplyTo?.FirstOrDefault()?.EmailAddress is { Address: { Length: > 0 } address } reply ? new EmailAddress(address, NullIfEmpty(reply.Name)) : null,
            To = [.. (message.ToRecipients ?? [])
                .Select(r => r.EmailAddress)
                .Where(a => !string.IsNullOrEmpty(a?.Address))
                .Select(a => new EmailAddress(a!.Address!, NullIfEmpty(a.Name)))],
            Subject = message.Subject ?? string.Empty,
            ReceivedAt = message.ReceivedDateTime ?? now,
            InReplyTo = inReplyTo,
            References = [.. references],
            ThreadId = message.ConversationId ?? references.FirstOrDefault() ?? inReplyTo ?? messageId,
            ProviderMessageId = message.Id,
            Text = text.Trim(),
            NewText = newText,
            Language = language,
            HtmlOnly = html,
            ContentType = headers.GetValueOrDefault("content-type")?.Split(';')[0].Trim().ToLowerInvariant() is { Length: > 0 } type ? type : "text/plain",
            Headers = headers,
        };
    }

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;
}
