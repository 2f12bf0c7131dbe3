using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Classification.Llm;

/// <summary>
/// A hosted model played by a real Kestrel server on loopback: OpenAI's Chat Completions (any path ending in
/// <c>/chat/completions</c>, so Azure's <c>/openai/v1/</c> too) and Anthropic's Messages API, answering from a script of
/// responses in the documented shapes (Fixtures/). An unscripted request gets a 500. Tests read the requests it saw.
/// </summary>
public sealed class FakeLlmServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private FakeLlmServer(WebApplication app) => _app = app;

    public string BaseUrl { get; private set; } = string.Empty;

    public ConcurrentQueue<Scripted> Script { get; } = new();

    public ConcurrentQueue<LlmRecordedRequest> Requests { get; } = new();

    public static async Task<FakeLlmServer> StartAsync()
    {
        var app = LoopbackServer.Create();
        var server = new FakeLlmServer(app);
        app.MapPost("/{**path}", server.AnswerAsync);
        server.BaseUrl = await LoopbackServer.StartAsync(app);
        return server;
    }

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Classification", "Llm", "Fixtures", name));

    /// <summary>A Chat Completions answer whose message content is <paramref name="content"/>; without <c>usage</c> when asked.</summary>
    public static Scripted Completion(string content, bool usage = true)
    {
        var json = JsonNode.Parse(Fixture("chat-completion.json"))!.AsObject();
        json["choices"]![0]!["message"]!["content"] = content;
        if (!usage)
        {
            json.Remove("usage");
        }

        return new Scripted(200, json.ToJsonString());
    }

    /// <summary>A Messages API answer whose text block is <paramref name="content"/>.</summary>
    public static Scripted AnthropicMessage(string content)
    {
        var json = JsonNode.Parse(Fixture("anthropic-message.json"))!.AsObject();
        json["content"]![0]!["text"] = content;
        return new Scripted(200, json.ToJsonString());
    }

    public static Scripted RateLimited(string retryAfter) => new(429, Fixture("error-rate-limit.json"), retryAfter);

    public static Scripted ServerError(int status = 503) => new(status, Fixture("error-server.json"));

    /// <summary>The JSON bodies of the requests, parsed.</summary>
    public IReadOnlyList<JsonObject> Bodies => [.. Requests.Select(r => JsonNode.Parse(r.Body)!.AsObject())];

    private async Task AnswerAsync(HttpContext context)
    {
        var body = await new StreamReader(context.Request.Body, Encoding.UTF8).ReadToEndAsync(context.RequestAborted);
        Requests.Enqueue(new LlmRecordedRequest(
            context.Request.Path.Value ?? string.Empty, body, context.Request.Headers.Authorization.ToString(),
            context.Request.Headers["x-api-key"].ToString(), Stopwatch.GetTimestamp()));
        var answer = Script.TryDequeue(out var scripted) ? scripted : ServerError(500);
        if (answer.Delay > TimeSpan.Zero)
        {
            try
            {
                await Task.Delay(answer.Delay, context.RequestAborted);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }

        context.Response.StatusCode = answer.Status;
        if (answer.RetryAfter is not null)
        {
            context.Response.Headers.RetryAfter = answer.RetryAfter;
        }

        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(answer.Body, context.RequestAborted);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

public sealed record Scripted(int Status, string Body, string? RetryAfter = null)
{
    public TimeSpan Delay { get; init; }
}

public sealed record LlmRecordedRequest(string Path, string Body, string Authorization, string ApiKeyHeader, long Timestamp);
