using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sift.Ingestion.Gmail;

/// <summary>Why a push token was refused: <see cref="Forbidden"/> when the token is Google's but not meant for Sift.</summary>
internal sealed record PushTokenRefusal(string Reason, bool Forbidden);

/// <summary>
/// Verifies the OIDC token Pub/Sub puts on every push (<c>Authorization: Bearer</c>): RS256 signed by a key from Google's
/// JWKS, issued by <c>accounts.google.com</c>, for exactly the configured audience, naming the configured push service
/// account with a verified email, and not expired (give or take <see cref="GmailOptions.ClockSkew"/>).
/// </summary>
internal sealed class PushTokenVerifier(GoogleSigningKeys keys, IOptions<GmailOptions> options, TimeProvider time)
{
    private static readonly string[] Issuers = ["https://accounts.google.com", "accounts.google.com"];

    private readonly JsonWebTokenHandler _handler = new() { MapInboundClaims = false };

    /// <summary>Null when the token is acceptable, else why not.</summary>
    public async Task<PushTokenRefusal?> VerifyAsync(string? authorization, CancellationToken cancellationToken)
    {
        const string Scheme = "Bearer ";
        if (string.IsNullOrEmpty(authorization) || !authorization.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            return new("no Bearer token in the Authorization header", Forbidden: false);
        }

        var token = authorization[Scheme.Length..].Trim();
        JsonWebToken jwt;
        try
        {
            jwt = _handler.ReadJsonWebToken(token);
        }
        catch (Exception ex) when (ex is ArgumentException or SecurityTokenMalformedException)
        {
            return new("the Bearer token is not a JWT", Forbidden: false);
        }

        if (jwt.Alg != SecurityAlgorithms.RsaSha256)
        {
            return new($"the token is signed with '{jwt.Alg}', not RS256", Forbidden: false);
        }

        var signingKeys = await keys.GetAsync(jwt.Kid, cancellationToken);
        var settings = options.Value;
        var result = await _handler.ValidateTokenAsync(jwt, new TokenValidationParameters
        {
            IssuerSigningKeys = signingKeys,
            ValidAlgorithms = [SecurityAlgorithms.RsaSha256],
            RequireSignedTokens = true,
            ValidIssuers = Issuers,
            // Audience, lifetime and email are checked below, to tell "not for us" (403) from "not valid" (401) and to use the injected clock.
            ValidateAudience = false,
            ValidateLifetime = false,
            TryAllIssuerSigningKeys = false,
        });
        if (!result.IsValid)
        {
            return new(result.Exception switch
            {
                SecurityTokenSignatureKeyNotFoundException => $"the token's signing key '{jwt.Kid}' is not one of Google's",
                SecurityTokenInvalidSignatureException => "the token's signature does not verify",
                SecurityTokenInvalidIssuerException => $"the token's issuer '{jwt.Issuer}' is not accounts.google.com",
                _ => $"the token is invalid ({result.Exception?.GetType().Name})",
            }, Forbidden: false);
        }

        var now = time.GetUtcNow().UtcDateTime;
        if (!jwt.TryGetPayloadValue<long>("exp", out _))
        {
            return new("the token has no expiry", Forbidden: false);
        }

        if (jwt.ValidTo + settings.ClockSkew < now)
        {
            return new($"the token expired at {jwt.ValidTo:O}", Forbidden: false);
        }

        if (jwt.TryGetPayloadValue<long>("nbf", out _) && jwt.ValidFrom - settings.ClockSkew > now)
        {
            return new($"the token is not valid before {jwt.ValidFrom:O}", Forbidden: false);
        }

        if (!jwt.Audiences.Contains(settings.Audience, StringComparer.Ordinal))
        {
            return new($"the token's audience '{string.Join(", ", jwt.Audiences)}' is not the configured one", Forbidden: true);
        }

        if (!jwt.TryGetPayloadValue<string>("email", out var email) || !string.Equals(email, settings.PushServiceAccount, StringComparison.OrdinalIgnoreCase))
        {
            return new($"the token's email '{email}' is not the configured push service account", Forbidden: true);
        }

        if (!jwt.TryGetPayloadValue<bool>("email_verified", out var verified) || !verified)
        {
            return new("the token's email is not verified", Forbidden: true);
        }

        return null;
    }
}

/// <summary>
/// Google's signing keys, cached as long as the JWKS response's Cache-Control allows, and fetched again when a token names
/// a key the cache lacks (Google rotates keys). Unknown keys refetch at most once a minute, so forged tokens with made-up
/// key ids cannot make Sift hammer Google.
/// </summary>
internal sealed partial class GoogleSigningKeys(IHttpClientFactory clients, IOptions<GmailOptions> options, TimeProvider time, ILogger<GoogleSigningKeys> logger) : IDisposable
{
    public const string HttpClientName = "google-jwks";

    private static readonly TimeSpan DefaultLifetime = TimeSpan.FromMinutes(5);
    private static readonly TimeSpan UnknownKeyCooldown = TimeSpan.FromMinutes(1);

    private readonly SemaphoreSlim _lock = new(1, 1);
    private JsonWebKeySet? _keys;
    private DateTimeOffset _expires = DateTimeOffset.MinValue;
    private DateTimeOffset _lastUnknownKeyFetch = DateTimeOffset.MinValue;

    public async Task<IList<SecurityKey>> GetAsync(string? kid, CancellationToken cancellationToken)
    {
        if (Fresh(kid) is { } cached)
        {
            return cached;
        }

        await _lock.WaitAsync(cancellationToken);
        try
        {
            if (Fresh(kid) is { } again)
            {
                return again;
            }

            var now = time.GetUtcNow();
            var stale = now >= _expires;
            if (stale || now - _lastUnknownKeyFetch >= UnknownKeyCooldown)
            {
                if (!stale)
                {
                    _lastUnknownKeyFetch = now;
                }

                try
                {
                    await FetchAsync(cancellationToken);
                }
                catch (HttpRequestException ex) when (_keys is not null)
                {
                    // Google's endpoint hiccuped: the keys we have still verify the tokens they signed.
                    LogFetchFailed(logger, ex);
                }
            }

            return _keys?.GetSigningKeys() ?? [];
        }
        finally
        {
            _lock.Release();
        }
    }

    private IList<SecurityKey>? Fresh(string? kid)
    {
        var keys = _keys;
        return keys is not null && time.GetUtcNow() < _expires && keys.Keys.Any(k => string.Equals(k.Kid, kid, StringComparison.Ordinal))
            ? keys.GetSigningKeys()
            : null;
    }

    private async Task FetchAsync(CancellationToken cancellationToken)
    {
        using var response = await clients.CreateClient(HttpClientName).GetAsync(options.Value.JwksUrl, cancellationToken);
        response.EnsureSuccessStatusCode();
        var json = await response.Content.ReadAsStringAsync(cancellationToken);
        _keys = new JsonWebKeySet(json);
        var cache = response.Headers.CacheControl;
        var lifetime = cache is { NoStore: true } or { NoCache: true } ? TimeSpan.Zero : cache?.MaxAge ?? DefaultLifetime;
        if (response.Headers.Age is { } age)
        {
            lifetime -= age;
        }

        _expires = time.GetUtcNow() + (lifetime > TimeSpan.Zero ? lifetime : TimeSpan.Zero);
        LogFetched(logger, _keys.Keys.Count, lifetime);
    }

    public void Dispose() => _lock.Dispose();

    [LoggerMessage(Level = LogLevel.Warning, Message = "Google's signing keys could not be fetched; the cached ones stay in use")]
    private static partial void LogFetchFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Information, Message = "Fetched {Count} Google signing keys, cached for {Lifetime}")]
    private static partial void LogFetched(ILogger logger, int count, TimeSpan lifetime);
}
