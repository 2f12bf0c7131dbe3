using System.Collections.Concurrent;
using System.Globalization;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sift.Approvals.Slack;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Approvals.Slack;

/// <summary>
/// Slack's Web API, played by a real Kestrel server on loopback: chat.postMessage, chat.update, views.open,
/// conversations.history and conversations.replies answer with Slack's documented shapes (HTTP 200 with <c>ok</c>), the
/// posts are kept per channel with their metadata, and every call is recorded. Response URLs land here too.
/// </summary>
internal sealed class FakeSlack : IAsyncDisposable
{
    public const string BotToken = "xoxb-sift-test";
    public const string SigningSecret = "8f742231b10e8888abcd99yyyzzz85a5";
    public const string SupportChannel = "C0SUPPORT";
    public const string LeadChannel = "C0LEAD";

    private static readonly string FixtureFolder = Path.Combine(AppContext.BaseDirectory, "Approvals", "Slack", "Fixtures");

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Method, int Status, string Body, string? RetryAfter)> _scripted = new();
    private readonly ConcurrentQueue<JsonObject> _posts = new();
    private long _nextTs = 1_764_583_200_000_100;

    private FakeSlack(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every Web API call, in order: the method name and its JSON body (or its query, for reads).</summary>
    public ConcurrentQueue<(string Method, JsonObject Body)> Calls { get; } = new();

    /// <summary>What was posted to response URLs.</summary>
    public ConcurrentQueue<JsonObject> Responses { get; } = new();

    public Uri ResponseUrl => new(BaseUrl, "response/1");

    public static async Task<FakeSlack> StartAsync()
    {
        var app = LoopbackServer.Create();
        var slack = new FakeSlack(app);
        slack.Map(app);
        slack.BaseUrl = new Uri(await LoopbackServer.StartAsync(app));
        return slack;
    }

    /// <summary>The next call of <paramref name="method"/> gets this answer instead of success.</summary>
    public void Script(string method, int status, string body, string? retryAfter = null) => _scripted.Enqueue((method, status, body, retryAfter));

    public IReadOnlyList<JsonObject> CallsOf(string method) => [.. Calls.Where(c => c.Method == method).Select(c => c.Body)];

    /// <summary>Sift's settings for this Slack: support-team and support-lead each have a channel.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Sift:Slack:BotToken"] = BotToken,
        ["Sift:Slack:SigningSecret"] = SigningSecret,
        ["Sift:Slack:Channels:support-team"] = SupportChannel,
        ["Sift:Slack:Channels:support-lead"] = LeadChannel,
        ["Sift:Slack:ApiBaseUrl"] = new Uri(BaseUrl, "api/").ToString(),
    };

    /// <summary>A block_actions click on one of Sift's buttons, as Slack sends it.</summary>
    public string Click(string actionId, Guid messageId, string? actionTs = null) => Fixture("block-actions.json")
        .Replace("{{action_id}}", actionId, StringComparison.Ordinal)
        .Replace("{{message_id}}", messageId.ToString(), StringComparison.Ordinal)
        .Replace("{{message_ts}}", (CallsOf("chat.postMessage") is [.., var last] ? last["ts"]!.GetValue<string>() : "1.2"), StringComparison.Ordinal)
        .Replace("{{channel_id}}", SupportChannel, StringComparison.Ordinal)
        .Replace("{{response_url}}", ResponseUrl.ToString(), StringComparison.Ordinal)
        .Replace("{{action_ts}}", actionTs ?? "1764583300.000001", StringComparison.Ordinal);

    /// <summary>A view_submission of Sift's edit modal with <paramref name="text"/> typed in.</summary>
    public static string Submit(Guid messageId, string text)
    {
        var payload = JsonNode.Parse(Fixture("view-submission.json")
            .Replace("{{message_id}}", messageId.ToString(), StringComparison.Ordinal))!.AsObject();
        payload["view"]!["state"]!["values"]!["draft"]!["text"]!["value"] = text;
        return payload.ToJsonString();
    }

    /// <summary>The form Slack posts, signed with the signing secret at <paramref name="now"/>.</summary>
    public static HttpRequestMessage Signed(string payloadJson, DateTimeOffset now, string secret = SigningSecret)
    {
        var body = Encoding.UTF8.GetBytes("payload=" + Uri.EscapeDataString(payloadJson));
        var timestamp = now.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture);
        var request = new HttpRequestMessage(HttpMethod.Post, new Uri("/webhooks/slack/interactions", UriKind.Relative))
        {
            Content = new ByteArrayContent(body),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/x-www-form-urlencoded");
        request.Headers.Add(SlackSignature.TimestampHeader, timestamp);
        request.Headers.Add(SlackSignature.SignatureHeader, SlackSignature.Compute(secret, timestamp, body));
        return request;
    }

    private static string Fixture(string name) => File.ReadAllText(Path.Combine(FixtureFolder, name));

    private void Map(WebApplication app)
    {
        app.MapPost("/response/{id}", async (HttpContext context) =>
        {
            Responses.Enqueue(JsonNode.Parse(await ReadAsync(context))!.AsObject());
            return Results.Ok();
        });

        app.Map("/api/{method}", async (HttpContext context, string method) =>
        {
            var body = HttpMethods.IsPost(context.Request.Method)
                ? JsonNode.Parse(await ReadAsync(context))!.AsObject()
                : new JsonObject(context.Request.Query.Select(q => KeyValuePair.Create(q.Key, (JsonNode?)JsonValue.Create(q.Value.ToString()))));
            Calls.Enqueue((method, body));
            if (context.Request.Headers.Authorization != $"Bearer {BotToken}")
            {
                return Ok(new JsonObject { ["ok"] = false, ["error"] = "not_authed" });
            }

            if (_scripted.TryPeek(out var next) && next.Method == method && _scripted.TryDequeue(out next))
            {
                if (next.RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = next.RetryAfter;
                }

                return Results.Text(next.Body, "application/json", statusCode: next.Status);
            }

            switch (method)
            {
                case "chat.postMessage":
                {
                    var ts = Ts();
                    body["ts"] = ts;
                    var message = new JsonObject
                    {
                        ["type"] = "message",
                        ["subtype"] = "bot_message",
                        ["text"] = body["text"]?.DeepClone(),
                        ["ts"] = ts,
                        ["bot_id"] = "B0SIFT",
                        ["metadata"] = body["metadata"]?.DeepClone(),
                        ["channel"] = body["channel"]?.DeepClone(),
                    };
                    if (body["thread_ts"] is { } thread)
                    {
                        message["thread_ts"] = thread.DeepClone();
                    }

                    _posts.Enqueue(message);
                    return Ok(new JsonObject { ["ok"] = true, ["channel"] = body["channel"]?.DeepClone(), ["ts"] = ts, ["message"] = Without(message, "channel") });
                }

                case "chat.update":
                    return Ok(new JsonObject { ["ok"] = true, ["channel"] = body["channel"]?.DeepClone(), ["ts"] = body["ts"]?.DeepClone(), ["text"] = body["text"]?.DeepClone() });
                case "views.open":
                    return Ok(new JsonObject { ["ok"] = true, ["view"] = new JsonObject { ["id"] = "V0SIFT", ["type"] = "modal", ["callback_id"] = body["view"]?["callback_id"]?.DeepClone() } });
                case "conversations.history" or "conversations.replies":
                {
                    var channel = context.Request.Query["channel"].ToString();
                    var thread = context.Request.Query["ts"].ToString();
                    var withMetadata = context.Request.Query["include_all_metadata"] == "true";
                    var messages = _posts
                        .Where(p => p["channel"]!.GetValue<string>() == channel)
                        .Where(p => method == "conversations.history"
                            ? p["thread_ts"] is null
                            : p["ts"]!.GetValue<string>() == thread || p["thread_ts"]?.GetValue<string>() == thread)
                        .Select(p => withMetadata ? Without(p, "channel") : Without(Without(p, "channel"), "metadata"))
                        .Reverse();
                    return Ok(new JsonObject { ["ok"] = true, ["messages"] = new JsonArray([.. messages]), ["has_more"] = false });
                }

                default:
                    return Ok(new JsonObject { ["ok"] = false, ["error"] = "unknown_method" });
            }
        });
    }

    private string Ts()
    {
        var value = Interlocked.Increment(ref _nextTs);
        return string.Create(CultureInfo.InvariantCulture, $"{value / 1_000_000}.{value % 1_000_000:000000}");
    }

    private static JsonObject Without(JsonObject source, string property)
    {
        var copy = source.DeepClone().AsObject();
        copy.Remove(property);
        return copy;
    }

    private static IResult Ok(JsonObject body) => Results.Text(body.ToJsonString(), "application/json");

    private static async Task<string> ReadAsync(HttpContext context)
    {
        using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
        return await reader.ReadToEndAsync();
    }

    public ValueTask DisposeAsync() => _app.DisposeAsync();
}
