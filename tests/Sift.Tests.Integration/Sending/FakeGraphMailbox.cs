using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sift.Tests.Integration.Infrastructure;
using Sift.Tests.Integration.Ingestion.Graph;

namespace Sift.Tests.Integration.Sending;

/// <summary>
/// Exchange mailboxes played by Microsoft Graph on loopback, as far as replying goes (documented in message-createreply,
/// message-update, message-send and the extended-properties $filter): originals that can be replied to, createReply
/// (201, a draft), PATCH of the draft, send (202: the draft leaves Drafts for Sent Items), and listing messages by
/// internetMessageId or by a single-value extended property. JSON internetMessageHeaders other than x- headers are
/// refused with 400, as Graph does. Tests script failures of send (429 with Retry-After, 500) and read what was sent.
/// </summary>
public sealed partial class FakeGraphMailbox : IAsyncDisposable
{
    private readonly WebApplication _app;
    private int _nextId;

    private FakeGraphMailbox(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Every message of every mailbox by id: originals, drafts and sent replies, as Graph would return them.</summary>
    public ConcurrentDictionary<string, JsonObject> Messages { get; } = new();

    /// <summary>Answers to send, before a send succeeds: e.g. (429, "120").</summary>
    public ConcurrentQueue<(int Status, string? RetryAfter)> SendFailures { get; } = new();

    public IReadOnlyList<JsonObject> Sent => [.. Messages.Values.Where(m => m["isDraft"]?.GetValue<bool>() == false && m["sentDateTime"] is not null)];

    public IReadOnlyList<JsonObject> Drafts => [.. Messages.Values.Where(m => m["isDraft"]?.GetValue<bool>() == true)];

    public IReadOnlyList<RecordedRequest> Seen(string method, string pathEndsWith) =>
        [.. Requests.Where(r => r.Method == method && r.Path.EndsWith(pathEndsWith, StringComparison.Ordinal))];

    public static async Task<FakeGraphMailbox> StartAsync()
    {
        var app = LoopbackServer.Create();
        var server = new FakeGraphMailbox(app);
        app.Use(server.RecordAndAuthenticateAsync);
        app.MapGet("/v1.0/users/{mailbox}/messages", server.List);
        app.MapPost("/v1.0/users/{mailbox}/messages/{id}/createReply", server.CreateReplyAsync);
        app.MapMethods("/v1.0/users/{mailbox}/messages/{id}", ["PATCH"], server.UpdateAsync);
        app.MapPost("/v1.0/users/{mailbox}/messages/{id}/send", server.Send);
        server.BaseUrl = $"{await LoopbackServer.StartAsync(app)}/v1.0";
        return server;
    }

    /// <summary>Puts a received message in a mailbox's inbox; returns its Graph id.</summary>
    public string AddOriginal(string mailbox, string internetMessageId, string from, string subject)
    {
        var id = $"AAMkAGI2-original-{Interlocked.Increment(ref _nextId)}";
        Messages[id] = new JsonObject
        {
            ["id"] = id,
            ["mailbox"] = mailbox,
            ["parentFolderId"] = "inbox",
            ["isDraft"] = false,
            ["subject"] = subject,
            ["internetMessageId"] = $"<{internetMessageId}>",
            ["conversationId"] = $"conv-{id}",
            ["from"] = new JsonObject { ["emailAddress"] = new JsonObject { ["address"] = from } },
        };
        return id;
    }

    private async Task RecordAndAuthenticateAsync(HttpContext context, Func<Task> next)
    {
        context.Request.EnableBuffering();
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true).ReadToEndAsync();
        context.Request.Body.Position = 0;
        Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? string.Empty, Uri.UnescapeDataString(context.Request.QueryString.Value ?? string.Empty), body, context.Request.Headers["Prefer"].ToString()));
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {FakeGraphServer.Token}")
        {
            context.Response.StatusCode = 401;
            return;
        }

        await next();
    }

    private IResult List(string mailbox, HttpRequest request)
    {
        var filter = request.Query["$filter"].ToString();
        IEnumerable<JsonObject> found;
        if (ByInternetMessageId().Match(filter) is { Success: true } byId)
        {
            var wanted = byId.Groups[1].Value.Replace("''", "'", StringComparison.Ordinal);
            found = InMailbox(mailbox).Where(m => m["internetMessageId"]?.GetValue<string>() == wanted);
        }
        else if (ByExtendedProperty().Match(filter) is { Success: true } byProperty)
        {
            var (propertyId, value) = (byProperty.Groups[1].Value, byProperty.Groups[2].Value.Replace("''", "'", StringComparison.Ordinal));
            found = InMailbox(mailbox).Where(m => (m["singleValueExtendedProperties"] as JsonArray ?? []).Any(p =>
                string.Equals(p!["id"]!.GetValue<string>(), propertyId, StringComparison.OrdinalIgnoreCase) && p["value"]!.GetValue<string>() == value));
        }
        else
        {
            return Error(400, "BadRequest", $"Unsupported filter in this fake: {filter}");
        }

        var list = new JsonArray([.. found.Select(m => (JsonNode)View(m))]);
        return Json(200, new JsonObject { ["@odata.context"] = $"{BaseUrl}/$metadata#users('{mailbox}')/messages", ["value"] = list }.ToJsonString());
    }

    private async Task<IResult> CreateReplyAsync(string mailbox, string id, HttpRequest request)
    {
        if (!Messages.TryGetValue(id, out var original) || !InMailbox(mailbox).Contains(original))
        {
            return Error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        }

        // Action parameters are matched without regard to case: the SDK sends "Message" and "Comment", the docs show them in lower case.
        var posted = request.ContentLength is > 0 ? (await JsonNode.ParseAsync(request.Body))!.AsObject() : [];
        JsonNode? Parameter(string name) => posted.FirstOrDefault(p => string.Equals(p.Key, name, StringComparison.OrdinalIgnoreCase)).Value;
        var message = Parameter("message") as JsonObject ?? [];
        var comment = Parameter("comment")?.GetValue<string>();
        if (comment is not null && message["body"] is not null)
        {
            return Error(400, "ErrorInvalidRequest", "Specify either comment or message.body, not both.");
        }

        if (message["internetMessageHeaders"] is JsonArray headers
            && headers.Any(h => !h!["name"]!.GetValue<string>().StartsWith("x-", StringComparison.OrdinalIgnoreCase)))
        {
            return Error(400, "InvalidInternetMessageHeader", "The internet message header name should start with 'x-' or 'X-'.");
        }

        var draftId = $"AAMkAGI2-draft-{Interlocked.Increment(ref _nextId)}";
        var draft = new JsonObject
        {
            ["id"] = draftId,
            ["mailbox"] = mailbox,
            ["parentFolderId"] = "drafts",
            ["isDraft"] = true,
            ["subject"] = $"RE: {original["subject"]!.GetValue<string>()}",
            ["conversationId"] = original["conversationId"]!.GetValue<string>(),
            ["replyToOriginal"] = id,
            ["toRecipients"] = new JsonArray(original["from"]!.DeepClone()),
            ["body"] = new JsonObject { ["contentType"] = "html", ["content"] = comment ?? string.Empty },
            ["singleValueExtendedProperties"] = message["singleValueExtendedProperties"]?.DeepClone() ?? new JsonArray(),
            ["internetMessageHeaders"] = message["internetMessageHeaders"]?.DeepClone() ?? new JsonArray(),
        };
        Messages[draftId] = draft;
        return Json(201, View(draft).ToJsonString());
    }

    private async Task<IResult> UpdateAsync(string mailbox, string id, HttpRequest request)
    {
        if (!Messages.TryGetValue(id, out var message) || !InMailbox(mailbox).Contains(message))
        {
            return Error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        }

        var patch = (await JsonNode.ParseAsync(request.Body))!.AsObject();
        foreach (var (name, value) in patch.ToList())
        {
            if (!name.StartsWith('@'))
            {
                message[name] = value?.DeepClone();
            }
        }

        return Json(200, View(message).ToJsonString());
    }

    private IResult Send(string mailbox, string id)
    {
        if (SendFailures.TryDequeue(out var failure))
        {
            return new Failure(failure.Status, failure.RetryAfter);
        }

        if (!Messages.TryGetValue(id, out var message) || !InMailbox(mailbox).Contains(message) || message["isDraft"]!.GetValue<bool>() != true)
        {
            return Error(404, "ErrorItemNotFound", "The specified object was not found in the store.");
        }

        message["isDraft"] = false;
        message["parentFolderId"] = "sentitems";
        message["sentDateTime"] = "2026-11-24T09:00:05Z";
        return Results.StatusCode(202);
    }

    private IEnumerable<JsonObject> InMailbox(string mailbox) =>
        Messages.Values.Where(m => string.Equals(m["mailbox"]!.GetValue<string>(), mailbox, StringComparison.OrdinalIgnoreCase));

    /// <summary>The message as Graph returns it: without the fake's own bookkeeping.</summary>
    private static JsonObject View(JsonObject message)
    {
        var view = message.DeepClone().AsObject();
        view.Remove("mailbox");
        view.Remove("replyToOriginal");
        return view;
    }

    private static IResult Json(int status, string json) => Results.Text(json, "application/json", Encoding.UTF8, status);

    private static IResult Error(int status, string code, string message) =>
        Json(status, new JsonObject { ["error"] = new JsonObject { ["code"] = code, ["message"] = message } }.ToJsonString());

    [GeneratedRegex(@"^internetMessageId eq '((?:[^']|'')*)'$")]
    private static partial Regex ByInternetMessageId();

    [GeneratedRegex(@"^singleValueExtendedProperties/Any\(ep: ep/id eq '([^']*)' and ep/value eq '((?:[^']|'')*)'\)$", RegexOptions.IgnoreCase)]
    private static partial Regex ByExtendedProperty();

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>Throttling or an outage, with Graph's error body and Retry-After when given.</summary>
    private sealed class Failure(int status, string? retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (retryAfter is not null)
            {
                httpContext.Response.Headers.RetryAfter = retryAfter;
            }

            return Json(status, FakeGraphServer.Fixture("error-throttled.json")).ExecuteAsync(httpContext);
        }
    }
}
