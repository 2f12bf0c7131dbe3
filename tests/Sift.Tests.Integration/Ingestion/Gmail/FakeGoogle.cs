using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion.Gmail;

/// <summary>
/// Google, played by a real Kestrel server on loopback: the JWKS that signs Pub/Sub's push tokens, the OAuth token
/// endpoint a service account exchanges its JWT assertion at, and the Gmail REST calls Sift makes, answering with the
/// fixtures' documented payloads. Tests script failures per path and read back what was asked.
/// </summary>
internal sealed class FakeGoogle : IAsyncDisposable
{
    public const string AccessToken = "ya29.sift-test-token";
    public const string Audience = "https://sift.contoso.example/webhooks/gmail";
    public const string PushAccount = "gmail-push@sift-test.iam.gserviceaccount.com";
    public const string Topic = "projects/sift-test/topics/gmail";

    private static readonly string FixtureFolder = Path.Combine(AppContext.BaseDirectory, "Ingestion", "Gmail", "Fixtures");

    private readonly WebApplication _app;
    private readonly ConcurrentQueue<(string Path, int Status, string Body, string? RetryAfter)> _scripted = new();
    private readonly RSA _serviceAccountKey = RSA.Create(2048);

    private FakeGoogle(WebApplication app)
    {
        _app = app;
    }

    public Uri BaseUrl { get; private set; } = null!;

    /// <summary>The key Google signs push tokens with now, and the keys its JWKS publishes.</summary>
    public SigningKey Current { get; set; } = SigningKey.Create("google-key-1");

    public List<SigningKey> Published { get; } = [];

    public int JwksFetches;

    /// <summary>Every Gmail and token request, as <c>METHOD /path?query</c>.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    public ConcurrentQueue<string> WatchBodies { get; } = new();

    /// <summary>What <c>messages.send</c> accepted: the user, the ids Gmail gave, the threadId asked for, and the decoded message.</summary>
    public ConcurrentQueue<(string User, string Id, string? ThreadId, MimeKit.MimeMessage Message)> Sent { get; } = new();

    /// <summary>Received messages <c>q=rfc822msgid:</c> finds, by user and Message-ID (no angle brackets): their id and threadId.</summary>
    public ConcurrentDictionary<(string User, string MessageId), (string Id, string ThreadId)> Originals { get; } = new();

    /// <summary>The decoded claims of each service-account assertion presented at the token endpoint.</summary>
    public ConcurrentQueue<JsonObject> Assertions { get; } = new();

    public static async Task<FakeGoogle> StartAsync()
    {
        var app = LoopbackServer.Create();
        var google = new FakeGoogle(app);
        google.Published.Add(google.Current);
        google.Map(app);
        google.BaseUrl = new Uri(await LoopbackServer.StartAsync(app));
        return google;
    }

    /// <summary>The next request whose path ends with <paramref name="pathEnd"/> gets this answer instead of the fixture.</summary>
    public void Script(string pathEnd, int status, string body, string? retryAfter = null) => _scripted.Enqueue((pathEnd, status, body, retryAfter));

    public static string Fixture(string name) => File.ReadAllText(Path.Combine(FixtureFolder, name));

    /// <summary>Sift's settings for this Google, with a service account key file written to <paramref name="folder"/>.</summary>
    public Dictionary<string, string?> Settings(string folder, string mailbox)
    {
        var keyFile = Path.Combine(folder, "gmail-service-account.json");
        File.WriteAllText(keyFile, new JsonObject
        {
            ["type"] = "service_account",
            ["project_id"] = "sift-test",
            ["private_key_id"] = "sa-key-1",
            ["private_key"] = _serviceAccountKey.ExportPkcs8PrivateKeyPem(),
            ["client_email"] = "sift-reader@sift-test.iam.gserviceaccount.com",
            ["client_id"] = "100000000000000000001",
            ["token_uri"] = new Uri(BaseUrl, "token").ToString(),
        }.ToJsonString());
        return new()
        {
            ["Sift:Gmail:Audience"] = Audience,
            ["Sift:Gmail:PushServiceAccount"] = PushAccount,
            ["Sift:Gmail:Topic"] = Topic,
            ["Sift:Gmail:Mailboxes:0"] = mailbox,
            ["Sift:Gmail:CredentialsFile"] = keyFile,
            ["Sift:Gmail:BaseUrl"] = BaseUrl.ToString(),
            ["Sift:Gmail:JwksUrl"] = new Uri(BaseUrl, "oauth2/v3/certs").ToString(),
        };
    }

    /// <summary>A push token with the fixture's claims, changed by <paramref name="edit"/>, signed with <paramref name="key"/> (default: <see cref="Current"/>).</summary>
    public string Token(Action<Dictionary<string, object>>? edit = null, SigningKey? key = null, DateTime? expires = null)
    {
        var claims = JsonSerializer.Deserialize<Dictionary<string, JsonElement>>(Fixture("pubsub-push-jwt-claims.json"))!
            .ToDictionary(c => c.Key, c => (object)(c.Value.ValueKind switch
            {
                JsonValueKind.True => true,
                JsonValueKind.False => false,
                _ => c.Value.GetString()!,
            }));
        edit?.Invoke(claims);
        var exp = expires ?? TimeProvider.System.GetUtcNow().UtcDateTime.AddMinutes(60);
        key ??= Current;
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Claims = claims,
            IssuedAt = exp.AddMinutes(-60),
            NotBefore = exp.AddMinutes(-60),
            Expires = exp,
            SigningCredentials = new SigningCredentials(key.SecurityKey, SecurityAlgorithms.RsaSha256),
        });
    }

    private void Map(WebApplication app)
    {
        app.MapGet("/oauth2/v3/certs", (HttpContext context) =>
        {
            Interlocked.Increment(ref JwksFetches);
            context.Response.Headers.CacheControl = "public, max-age=3600, must-revalidate, no-transform";
            var keys = new JsonArray([.. Published.Select(k => (JsonNode)k.Jwk())]);
            return Results.Text(new JsonObject { ["keys"] = keys }.ToJsonString(), "application/json");
        });

        app.MapPost("/token", async (HttpContext context) =>
        {
            Requests.Enqueue($"POST {context.Request.Path}");
            var form = await context.Request.ReadFormAsync();
            var assertion = await new JsonWebTokenHandler().ValidateTokenAsync(form["assertion"].ToString(), new TokenValidationParameters
            {
                IssuerSigningKey = new RsaSecurityKey(_serviceAccountKey.ExportParameters(false)),
                ValidateAudience = false,
                ValidateIssuer = false,
            });
            if (form["grant_type"] != "urn:ietf:params:oauth:grant-type:jwt-bearer" || !assertion.IsValid)
            {
                return Results.Text("""{"error":"invalid_grant"}""", "application/json", statusCode: 400);
            }

            Assertions.Enqueue(JsonNode.Parse(Base64UrlEncoder.Decode(((JsonWebToken)assertion.SecurityToken).EncodedPayload))!.AsObject());
            return Results.Text(Fixture("token-response.json"), "application/json");
        });

        app.Map("/gmail/v1/users/{user}/{**rest}", async (HttpContext context, string user, string rest) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}{context.Request.QueryString}");
            if (context.Request.Headers.Authorization != $"Bearer {AccessToken}")
            {
                return Results.Text("""{"error":{"code":401,"message":"Invalid Credentials","status":"UNAUTHENTICATED"}}""", "application/json", statusCode: 401);
            }

            if (_scripted.TryPeek(out var next) && context.Request.Path.Value!.EndsWith(next.Path, StringComparison.Ordinal) && _scripted.TryDequeue(out next))
            {
                if (next.RetryAfter is not null)
                {
                    context.Response.Headers.RetryAfter = next.RetryAfter;
                }

                return Results.Text(next.Body, "application/json", statusCode: next.Status);
            }

            if (rest == "watch" && HttpMethods.IsPost(context.Request.Method))
            {
                using var reader = new StreamReader(context.Request.Body, Encoding.UTF8);
                WatchBodies.Enqueue(await reader.ReadToEndAsync());
                return Json("watch-response.json");
            }

            if (rest == "messages/send" && HttpMethods.IsPost(context.Request.Method))
            {
                var posted = (await JsonNode.ParseAsync(context.Request.Body))!.AsObject();
                using var raw = new MemoryStream(System.Buffers.Text.Base64Url.DecodeFromChars(posted["raw"]!.GetValue<string>()));
                var message = await MimeKit.MimeMessage.LoadAsync(raw);
                var id = $"19{Sent.Count + 1:x14}";
                var threadId = posted["threadId"]?.GetValue<string>();
                Sent.Enqueue((user, id, threadId, message));
                return Results.Text(new JsonObject { ["id"] = id, ["threadId"] = threadId ?? id, ["labelIds"] = new JsonArray("SENT") }.ToJsonString(), "application/json");
            }

            if (rest == "messages" && context.Request.Query["q"].ToString() is { } q && q.StartsWith("rfc822msgid:", StringComparison.Ordinal))
            {
                var wanted = q["rfc822msgid:".Length..].Trim().Trim('<', '>');
                var hits = Sent.Where(s => s.User == user && s.Message.MessageId == wanted).Select(s => (s.Id, ThreadId: s.ThreadId ?? s.Id))
                    .Concat(Originals.TryGetValue((user, wanted), out var original) ? [original] : [])
                    .Select(h => (JsonNode)new JsonObject { ["id"] = h.Id, ["threadId"] = h.ThreadId })
                    .ToArray();
                var list = new JsonObject { ["resultSizeEstimate"] = hits.Length };
                if (hits.Length > 0)
                {
                    list["messages"] = new JsonArray(hits);
                }

                return Results.Text(list.ToJsonString(), "application/json");
            }

            return rest switch
            {
                "history" => Json(context.Request.Query["pageToken"] == "page-2" ? "history-list-page2.json" : "history-list-page1.json"),
                "profile" => Json("profile.json"),
                "messages" => Json("messages-list.json"),
                _ when rest.StartsWith("messages/", StringComparison.Ordinal) && File.Exists(Path.Combine(FixtureFolder, $"message-raw-{rest[9..]}.json")) =>
                    Json($"message-raw-{rest[9..]}.json"),
                _ => Results.Text(Fixture("error-404.json"), "application/json", statusCode: 404),
            };
        });
    }

    private static IResult Json(string fixture) => Results.Text(Fixture(fixture), "application/json");

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _serviceAccountKey.Dispose();
    }

    /// <summary>An RSA key with its key id, as Google publishes them.</summary>
    internal sealed record SigningKey(string Kid, RsaSecurityKey SecurityKey)
    {
        public static SigningKey Create(string kid) => new(kid, new RsaSecurityKey(RSA.Create(2048)) { KeyId = kid });

        public JsonObject Jwk()
        {
            var parameters = SecurityKey.Rsa.ExportParameters(false);
            return new JsonObject
            {
                ["kty"] = "RSA",
                ["alg"] = "RS256",
                ["use"] = "sig",
                ["kid"] = Kid,
                ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            };
        }
    }
}
