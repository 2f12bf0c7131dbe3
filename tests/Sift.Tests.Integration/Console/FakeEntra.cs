using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.WebConsole;

/// <summary>
/// A small OpenID provider that plays Microsoft Entra ID's v2.0 endpoints on loopback: the discovery document, the
/// JWKS, and a token endpoint that redeems a code for an RS256 id_token carrying the nonce, <c>roles</c> and <c>groups</c>.
/// </summary>
public sealed class FakeEntra : IAsyncDisposable
{
    public const string Tenant = "11111111-2222-3333-4444-555555555555";
    public const string ClientId = "sift-console-test";
    public const string ClientSecret = "test-secret-not-real";

    private readonly WebApplication _app;
    private readonly RSA _key = RSA.Create(2048);
    private readonly ConcurrentDictionary<string, JsonObject> _codes = new();

    private FakeEntra(WebApplication app) => _app = app;

    public Uri BaseUrl { get; private set; } = null!;

    public string Issuer => $"{BaseUrl}{Tenant}/v2.0";

    public ConcurrentQueue<IFormCollection> TokenRequests { get; } = new();

    public static async Task<FakeEntra> StartAsync()
    {
        var fake = new FakeEntra(LoopbackServer.Create());
        fake.Map();
        fake.BaseUrl = new Uri(await LoopbackServer.StartAsync(fake._app) + "/");
        return fake;
    }

    public Dictionary<string, string?> Settings() => new()
    {
        ["Sift:Auth:Entra:Instance"] = BaseUrl.ToString(),
        ["Sift:Auth:Entra:TenantId"] = Tenant,
        ["Sift:Auth:Entra:ClientId"] = ClientId,
        ["Sift:Auth:Entra:ClientSecret"] = ClientSecret,
    };

    /// <summary>What the authorize endpoint would hand back after the person signed in: a code bound to the request's nonce.</summary>
    public string IssueCode(string nonce, string user, string[] roles, string[] groups)
    {
        var code = Convert.ToHexString(RandomNumberGenerator.GetBytes(16));
        _codes[code] = new JsonObject
        {
            ["nonce"] = nonce,
            ["preferred_username"] = user,
            ["roles"] = new JsonArray([.. roles.Select(r => (JsonNode)r)]),
            ["groups"] = new JsonArray([.. groups.Select(g => (JsonNode)g)]),
        };
        return code;
    }

    private void Map()
    {
        _app.MapGet($"/{Tenant}/v2.0/.well-known/openid-configuration", () => Json(new JsonObject
        {
            ["issuer"] = Issuer,
            ["authorization_endpoint"] = $"{BaseUrl}{Tenant}/oauth2/v2.0/authorize",
            ["token_endpoint"] = $"{BaseUrl}{Tenant}/oauth2/v2.0/token",
            ["jwks_uri"] = $"{BaseUrl}{Tenant}/discovery/v2.0/keys",
            ["response_types_supported"] = new JsonArray("code", "id_token", "code id_token"),
            ["response_modes_supported"] = new JsonArray("query", "fragment", "form_post"),
            ["subject_types_supported"] = new JsonArray("pairwise"),
            ["id_token_signing_alg_values_supported"] = new JsonArray("RS256"),
            ["scopes_supported"] = new JsonArray("openid", "profile", "email", "offline_access"),
        }));
        _app.MapGet($"/{Tenant}/discovery/v2.0/keys", () =>
        {
            var parameters = _key.ExportParameters(false);
            return Json(new JsonObject
            {
                ["keys"] = new JsonArray(new JsonObject
                {
                    ["kty"] = "RSA",
                    ["use"] = "sig",
                    ["kid"] = "test-key",
                    ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                    ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
                }),
            });
        });
        _app.MapPost($"/{Tenant}/oauth2/v2.0/token", async (HttpRequest request) =>
        {
            var form = await request.ReadFormAsync();
            TokenRequests.Enqueue(form);
            if (form["grant_type"] != "authorization_code" || form["client_id"] != ClientId || form["client_secret"] != ClientSecret
                || !_codes.TryRemove(form["code"].ToString(), out var grant))
            {
                return Json(new JsonObject { ["error"] = "invalid_grant" }, statusCode: 400);
            }

            var now = TimeProvider.System.GetUtcNow().UtcDateTime;
            var claims = new Dictionary<string, object>
            {
                ["sub"] = "subject-" + (string)grant["preferred_username"]!,
                ["oid"] = Guid.NewGuid().ToString(),
                ["tid"] = Tenant,
                ["nonce"] = (string)grant["nonce"]!,
                ["preferred_username"] = (string)grant["preferred_username"]!,
                ["name"] = "Test Person",
                ["roles"] = grant["roles"]!.AsArray().Select(r => (string)r!).ToArray(),
                ["groups"] = grant["groups"]!.AsArray().Select(g => (string)g!).ToArray(),
            };
            var idToken = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
            {
                Issuer = Issuer,
                Audience = ClientId,
                IssuedAt = now,
                NotBefore = now,
                Expires = now.AddMinutes(10),
                Claims = claims,
                SigningCredentials = new SigningCredentials(new RsaSecurityKey(_key) { KeyId = "test-key" }, SecurityAlgorithms.RsaSha256),
            });
            return Json(new JsonObject
            {
                ["token_type"] = "Bearer",
                ["access_token"] = "opaque-access-token",
                ["expires_in"] = 3600,
                ["id_token"] = idToken,
            });
        });
    }

    // The slim host has no reflection-based JSON: the nodes write themselves.
    private static IResult Json(JsonObject body, int statusCode = 200) =>
        Results.Text(body.ToJsonString(), "application/json", statusCode: statusCode);

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _key.Dispose();
    }
}
