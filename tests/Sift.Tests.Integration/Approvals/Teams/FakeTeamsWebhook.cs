using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Approvals.Teams;

/// <summary>
/// A Power Automate "When a Teams webhook request is received" trigger, played by a real Kestrel server on loopback: it
/// takes the documented envelope, answers 202 Accepted with an empty body (no id, no way to read a post back), and keeps
/// every card it accepted. Statuses can be scripted to play throttling and failures.
/// </summary>
internal sealed class FakeTeamsWebhook : IAsyncDisposable
{
    public const string SigningKey = "test-link-signing-key-0123456789abcdef";

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(int Status, string? RetryAfter)> _scripted = new();

    private FakeTeamsWebhook(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>Every request, accepted or not.</summary>
    public ConcurrentQueue<JsonObject> Attempts { get; } = new();

    /// <summary>The envelopes the webhook accepted (what a Teams channel would show), in order.</summary>
    public ConcurrentQueue<JsonObject> Cards { get; } = new();

    /// <summary>Which flow (channel) each accepted card went to, in the order of <see cref="Cards"/>.</summary>
    public ConcurrentQueue<string> CardFlows { get; } = new();

    public static async Task<FakeTeamsWebhook> StartAsync()
    {
        var app = LoopbackServer.Create();
        var webhook = new FakeTeamsWebhook(app);
        app.MapPost("/workflows/{flow}/triggers/manual/paths/invoke", async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
            var body = JsonNode.Parse(await reader.ReadToEndAsync())!.AsObject();
            webhook.Attempts.Enqueue(body);
            if (context.Request.Query["sig"] != "test-sig")
            {
                return Results.StatusCode(StatusCodes.Status401Unauthorized);
            }

            if (webhook._scripted.TryDequeue(out var next))
            {
                if (next.RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = next.RetryAfter;
                }

                return Results.StatusCode(next.Status);
            }

            webhook.Cards.Enqueue(body);
            webhook.CardFlows.Enqueue(context.Request.RouteValues["flow"]!.ToString()!);
            return Results.StatusCode((int)HttpStatusCode.Accepted);
        });
        webhook.BaseUrl = new Uri(await LoopbackServer.StartAsync(app));
        return webhook;
    }

    /// <summary>The next post gets this status instead of 202.</summary>
    public void Script(int status, string? retryAfter = null) => _scripted.Enqueue((status, retryAfter));

    public string WebhookUrl(string flow) => new Uri(BaseUrl, $"workflows/{flow}/triggers/manual/paths/invoke?api-version=1&sp=%2Ftriggers%2Fmanual%2Frun&sv=1.0&sig=test-sig").ToString();

    /// <summary>Sift's settings: support-team and support-lead each have a webhook; links point at the test server.</summary>
    public Dictionary<string, string?> Settings() => new()
    {
        ["Sift:Teams:WebhookUrls:support-team"] = WebhookUrl("support"),
        ["Sift:Teams:WebhookUrls:support-lead"] = WebhookUrl("lead"),
        ["Sift:Teams:PublicBaseUrl"] = "http://localhost/",
        ["Sift:Teams:LinkSigningKey"] = SigningKey,
    };

    /// <summary>The Adaptive Card inside an accepted envelope.</summary>
    public static JsonObject Card(JsonObject envelope) => envelope["attachments"]![0]!["content"]!.AsObject();

    /// <summary>The card's Action.OpenUrl buttons: title → URL.</summary>
    public static Dictionary<string, Uri> Buttons(JsonObject envelope) =>
        Card(envelope)["actions"]!.AsArray().ToDictionary(a => (string)a!["title"]!, a => new Uri((string)a!["url"]!));

    /// <summary>The plain text of the card element with this id.</summary>
    public static string Text(JsonObject envelope, string id) =>
        string.Concat(Card(envelope)["body"]!.AsArray().Single(b => (string?)b!["id"] == id)!["inlines"]!.AsArray().Select(i => (string)i!["text"]!));

    public async ValueTask DisposeAsync() => await _app.DisposeAsync();
}
