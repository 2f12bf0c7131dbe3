using System.Collections.Concurrent;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion.Graph;

/// <summary>
/// Microsoft Graph played by a real Kestrel server on loopback, answering with the documented payloads in Fixtures/:
/// subscriptions (create, renew, delete, list), message and attachment fetches, and the inbox delta query. Every request
/// must carry the fake bearer token. Tests script throttling, 404s and 409s, and read the requests it saw.
/// </summary>
public sealed class FakeGraphServer : IAsyncDisposable
{
    public const string Token = "fake-graph-token";

    private readonly WebApplication _app;

    private FakeGraphServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public ConcurrentQueue<RecordedRequest> Requests { get; } = new();

    /// <summary>Subscriptions Graph holds, by id: the body Sift posted, plus the id.</summary>
    public ConcurrentDictionary<string, JsonObject> Subscriptions { get; } = new();

    /// <summary>Answers to message fetches, used before the fixture: e.g. (429, "120").</summary>
    public ConcurrentQueue<(int Status, string? RetryAfter)> FetchFailures { get; } = new();

    /// <summary>Messages that no longer exist (fetch answers 404).</summary>
    public ConcurrentDictionary<string, bool> DeletedMessages { get; } = new();

    /// <summary>How many subscription creations answer 409 before one succeeds.</summary>
    public int ConflictsOnCreate { get; set; }

    public IEnumerable<RecordedRequest> Seen(string method, string pathContains) =>
        Requests.Where(r => r.Method == method && r.Path.Contains(pathContains, StringComparison.OrdinalIgnoreCase));

    /// <summary>The delta query's requests, in order.</summary>
    public IReadOnlyList<RecordedRequest> DeltaRequests =>
        [.. Requests.Where(r => r.Method == "GET" && r.Path.EndsWith("/messages/delta", StringComparison.Ordinal))];

    /// <summary>The fetches of one message (not of its attachments).</summary>
    public IReadOnlyList<RecordedRequest> Fetches(string messageId) =>
        [.. Requests.Where(r => r.Method == "GET" && r.Path.EndsWith($"/messages/{messageId}", StringComparison.Ordinal))];

    public static async Task<FakeGraphServer> StartAsync()
    {
        var app = LoopbackServer.Create();
        var server = new FakeGraphServer(app);
        app.Use(server.RecordAndAuthenticateAsync);
        app.MapPost("/v1.0/subscriptions", server.CreateSubscriptionAsync);
        app.MapGet("/v1.0/subscriptions", server.ListSubscriptions);
        app.MapMethods("/v1.0/subscriptions/{id}", ["PATCH"], server.RenewSubscriptionAsync);
        app.MapDelete("/v1.0/subscriptions/{id}", (string id) => server.Subscriptions.TryRemove(id, out _) ? Results.NoContent() : Error(404, "error-not-found.json"));
        app.MapGet("/v1.0/users/{mailbox}/messages/{id}", server.GetMessage);
        app.MapGet("/v1.0/users/{mailbox}/messages/{id}/attachments", (string id) => Json(200, Fixture("attachments.json").Replace("{messageId}", id, StringComparison.Ordinal)));
        app.MapGet("/v1.0/users/{mailbox}/mailFolders/inbox/messages/delta", server.Delta);
        server.BaseUrl = $"{await LoopbackServer.StartAsync(app)}/v1.0";
        return server;
    }

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Ingestion", "Graph", "Fixtures", name));

    private async Task RecordAndAuthenticateAsync(HttpContext context, Func<Task> next)
    {
        context.Request.EnableBuffering();
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8, leaveOpen: true).ReadToEndAsync();
        context.Request.Body.Position = 0;
        Requests.Enqueue(new RecordedRequest(context.Request.Method, context.Request.Path.Value ?? string.Empty, context.Request.QueryString.Value ?? string.Empty, body, context.Request.Headers["Prefer"].ToString()));
        if (context.Request.Headers.Authorization.ToString() != $"Bearer {Token}")
        {
            context.Response.StatusCode = 401;
            return;
        }

        await next();
    }

    private async Task<IResult> CreateSubscriptionAsync(HttpRequest request)
    {
        var posted = (await JsonNode.ParseAsync(request.Body))!.AsObject();
        if (ConflictsOnCreate > 0)
        {
            ConflictsOnCreate--;
            return Error(409, "error-conflict.json");
        }

        var id = Guid.NewGuid().ToString();
        posted["id"] = id;
        Subscriptions[id] = posted;
        return Json(201, SubscriptionJson(posted));
    }

    private IResult ListSubscriptions()
    {
        var list = JsonNode.Parse(Fixture("subscriptions-list.json"))!.AsObject();
        var values = list["value"]!.AsArray();
        foreach (var subscription in Subscriptions.Values)
        {
            values.Add(JsonNode.Parse(SubscriptionJson(subscription)));
        }

        return Json(200, list.ToJsonString());
    }

    private async Task<IResult> RenewSubscriptionAsync(string id, HttpRequest request)
    {
        var patch = (await JsonNode.ParseAsync(request.Body))!.AsObject();
        if (!Subscriptions.TryGetValue(id, out var subscription))
        {
            return Error(404, "error-not-found.json");
        }

        subscription["expirationDateTime"] = patch["expirationDateTime"]!.GetValue<string>();
        return Json(200, SubscriptionJson(subscription));
    }

    private IResult GetMessage(string id)
    {
        if (FetchFailures.TryDequeue(out var failure))
        {
            return new ErrorResult(failure.Status, failure.RetryAfter);
        }

        return DeletedMessages.ContainsKey(id) ? Error(404, "error-not-found.json") : Json(200, Fixture("message.json").Replace("{messageId}", id, StringComparison.Ordinal));
    }

    private IResult Delta(HttpRequest request)
    {
        if (request.Query["$deltatoken"] == "expired")
        {
            return Error(410, "error-sync-state-not-found.json");
        }

        var page = request.Query.ContainsKey("$skiptoken") ? "delta-page-2.json" : request.Query.ContainsKey("$deltatoken") ? "delta-empty.json" : "delta-page-1.json";
        return Json(200, Fixture(page).Replace("{baseUrl}", BaseUrl, StringComparison.Ordinal));
    }

    private static string SubscriptionJson(JsonObject subscription) =>
        Fixture("subscription-create-response.json")
            .Replace("{subscriptionId}", subscription["id"]!.GetValue<string>(), StringComparison.Ordinal)
            .Replace("{resource}", subscription["resource"]?.GetValue<string>(), StringComparison.Ordinal)
            .Replace("{notificationUrl}", subscription["notificationUrl"]?.GetValue<string>(), StringComparison.Ordinal)
            .Replace("{lifecycleNotificationUrl}", subscription["lifecycleNotificationUrl"]?.GetValue<string>(), StringComparison.Ordinal)
            .Replace("{expirationDateTime}", subscription["expirationDateTime"]?.GetValue<string>(), StringComparison.Ordinal);

    private static IResult Json(int status, string json) => Results.Text(json, "application/json", Encoding.UTF8, status);

    private static IResult Error(int status, string fixture) => Json(status, Fixture(fixture));

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    /// <summary>A throttling or outage answer: Graph's error body, with Retry-After when given.</summary>
    private sealed class ErrorResult(int status, string? retryAfter) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            if (retryAfter is not null)
            {
                httpContext.Response.Headers.RetryAfter = retryAfter;
            }

            return Json(status, Fixture("error-throttled.json")).ExecuteAsync(httpContext);
        }
    }
}

public sealed record RecordedRequest(string Method, string Path, string Query, string Body, string Prefer);
