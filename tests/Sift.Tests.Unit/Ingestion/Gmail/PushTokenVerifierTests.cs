using System.Net;
using System.Security.Cryptography;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sift.Ingestion.Gmail;

namespace Sift.Tests.Unit.Ingestion.Gmail;

/// <summary>The push token's clock checks and the JWKS cache's lifetime, on a fake clock.</summary>
public sealed class PushTokenVerifierTests : IDisposable
{
    private const string Audience = "https://sift.contoso.example/webhooks/gmail";
    private const string Account = "gmail-push@sift-test.iam.gserviceaccount.com";

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 8, 0, 0, TimeSpan.Zero));
    private readonly RsaSecurityKey _key = new(RSA.Create(2048)) { KeyId = "k1" };
    private readonly JwksHandler _jwks;
    private readonly GoogleSigningKeys _keys;
    private readonly PushTokenVerifier _verifier;

    public PushTokenVerifierTests()
    {
        _jwks = new JwksHandler(_key);
        var options = Options.Create(new GmailOptions { Audience = Audience, PushServiceAccount = Account, ClockSkew = TimeSpan.FromSeconds(30) });
        _keys = new GoogleSigningKeys(new Clients(_jwks), options, _time, NullLogger<GoogleSigningKeys>.Instance);
        _verifier = new PushTokenVerifier(_keys, options, _time);
    }

    [Fact]
    public async Task A_token_expired_within_the_clock_skew_passes_and_one_expired_beyond_it_is_refused()
    {
        Assert.Null(await _verifier.VerifyAsync($"Bearer {Token(_time.GetUtcNow().AddSeconds(-20))}", CancellationToken.None));

        var refusal = await _verifier.VerifyAsync($"Bearer {Token(_time.GetUtcNow().AddSeconds(-60))}", CancellationToken.None);
        Assert.NotNull(refusal);
        Assert.False(refusal.Forbidden);
        Assert.Contains("expired", refusal.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_keys_are_cached_for_the_max_age_Google_sends_and_fetched_again_after_it()
    {
        var token = $"Bearer {Token(_time.GetUtcNow().AddMinutes(30))}";
        Assert.Null(await _verifier.VerifyAsync(token, CancellationToken.None));
        _time.Advance(TimeSpan.FromSeconds(299));
        Assert.Null(await _verifier.VerifyAsync(token, CancellationToken.None));
        Assert.Equal(1, _jwks.Fetches);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Null(await _verifier.VerifyAsync(token, CancellationToken.None));
        Assert.Equal(2, _jwks.Fetches);
    }

    [Fact]
    public async Task Unknown_key_ids_fetch_again_at_most_once_a_minute()
    {
        Assert.Null(await _verifier.VerifyAsync($"Bearer {Token(_time.GetUtcNow().AddMinutes(30))}", CancellationToken.None));
        var forged = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "unknown" };

        Assert.NotNull(await _verifier.VerifyAsync($"Bearer {Token(_time.GetUtcNow().AddMinutes(30), forged)}", CancellationToken.None));
        Assert.NotNull(await _verifier.VerifyAsync($"Bearer {Token(_time.GetUtcNow().AddMinutes(30), forged)}", CancellationToken.None));
        Assert.Equal(2, _jwks.Fetches);

        _time.Advance(TimeSpan.FromSeconds(61));
        Assert.NotNull(await _verifier.VerifyAsync($"Bearer {Token(_time.GetUtcNow().AddMinutes(30), forged)}", CancellationToken.None));
        Assert.Equal(3, _jwks.Fetches);
    }

    private string Token(DateTimeOffset expires, RsaSecurityKey? key = null) => new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
    {
        Claims = new Dictionary<string, object>
        {
            ["iss"] = "accounts.google.com",
            ["aud"] = Audience,
            ["email"] = Account,
            ["email_verified"] = true,
        },
        IssuedAt = expires.UtcDateTime.AddHours(-1),
        NotBefore = expires.UtcDateTime.AddHours(-1),
        Expires = expires.UtcDateTime,
        SigningCredentials = new SigningCredentials(key ?? _key, SecurityAlgorithms.RsaSha256),
    });

    public void Dispose()
    {
        _keys.Dispose();
        _jwks.Dispose();
        _key.Rsa.Dispose();
    }

    private sealed class Clients(HttpMessageHandler handler) : IHttpClientFactory
    {
        public HttpClient CreateClient(string name) => new(handler, disposeHandler: false);
    }

    /// <summary>Google's certs endpoint: one key, cacheable for five minutes.</summary>
    private sealed class JwksHandler(RsaSecurityKey key) : HttpMessageHandler
    {
        public int Fetches { get; private set; }

        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Fetches++;
            var parameters = key.Rsa.ExportParameters(false);
            var jwk = new JsonObject
            {
                ["kty"] = "RSA",
                ["alg"] = "RS256",
                ["use"] = "sig",
                ["kid"] = key.KeyId,
                ["n"] = Base64UrlEncoder.Encode(parameters.Modulus),
                ["e"] = Base64UrlEncoder.Encode(parameters.Exponent),
            };
            var response = new HttpResponseMessage(HttpStatusCode.OK) { Content = new StringContent(new JsonObject { ["keys"] = new JsonArray(jwk) }.ToJsonString()) };
            response.Headers.CacheControl = new System.Net.Http.Headers.CacheControlHeaderValue { Public = true, MaxAge = TimeSpan.FromSeconds(300) };
            return Task.FromResult(response);
        }
    }
}
