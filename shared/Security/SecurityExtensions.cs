using System.Globalization;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sift.Security;

public static class SecurityExtensions
{
    public const string LoginPath = "/console/login";

    /// <summary>
    /// Sign-in for people (the console): a cookie session, opened by the local admin login or by Entra ID (OpenID Connect)
    /// when <c>Sift:Auth:Entra</c> is configured; the roles as authorization policies; antiforgery for every form. Machine
    /// clients keep the API key (<c>X-Api-Key</c>), which this does not touch.
    /// </summary>
    public static IHostApplicationBuilder AddSiftSecurity(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<LocalAccountsOptions>().BindConfiguration(LocalAccountsOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddOptions<AccessOptions>().BindConfiguration(AccessOptions.Section).ValidateOnStart();
        builder.Services.AddOptions<EntraOptions>().BindConfiguration(EntraOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<LocalAccountsOptions>, LocalAccountsValidator>();
        builder.Services.AddSingleton<IValidateOptions<EntraOptions>, EntraValidator>();
        builder.Services.AddSingleton<LocalAccounts>();
        builder.Services.AddSingleton<MailboxAccess>();

        builder.Services.AddAuthentication(CookieAuthenticationDefaults.AuthenticationScheme)
            .AddCookie(cookie =>
            {
                cookie.LoginPath = LoginPath;
                cookie.AccessDeniedPath = "/console/denied";
                cookie.Cookie.Name = "sift.console";
                cookie.Cookie.HttpOnly = true;
                cookie.Cookie.SameSite = SameSiteMode.Lax;
                cookie.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
                cookie.ExpireTimeSpan = TimeSpan.FromHours(8);
                cookie.SlidingExpiration = true;
                cookie.Events.OnSigningIn = context =>
                {
                    context.Properties.Items[SignedInAtItem] = context.HttpContext.RequestServices.GetRequiredService<TimeProvider>().GetUtcNow().ToString("O", CultureInfo.InvariantCulture);
                    return Task.CompletedTask;
                };
                cookie.Events.OnValidatePrincipal = ValidateSessionAsync;
            });
        builder.Services.AddRateLimiter(limiter =>
        {
            limiter.AddPolicy(LoginRateLimit, http =>
            {
                var perMinute = http.RequestServices.GetRequiredService<IOptionsMonitor<LocalAccountsOptions>>().CurrentValue.LoginAttemptsPerMinute;
                return RateLimitPartition.GetFixedWindowLimiter(http.Connection.RemoteIpAddress?.ToString() ?? "unknown",
                    _ => new FixedWindowRateLimiterOptions { PermitLimit = perMinute, Window = TimeSpan.FromMinutes(1), QueueLimit = 0 });
            });
            limiter.OnRejected = async (context, cancellationToken) =>
            {
                var response = context.HttpContext.Response;
                response.StatusCode = StatusCodes.Status429TooManyRequests;
                response.Headers.RetryAfter = "60";
                response.ContentType = "text/plain; charset=utf-8";
                await response.WriteAsync("Too many sign-in attempts from this address. Wait a minute, then try again.", cancellationToken);
            };
        });

        AddEntra(builder.Services);
        builder.Services.AddAuthorizationBuilder()
            .AddPolicy(SiftRoles.CanView, policy => policy.RequireAuthenticatedUser().RequireRole(SiftRoles.All))
            .AddPolicy(SiftRoles.CanDecide, policy => policy.RequireAuthenticatedUser().RequireRole(SiftRoles.Approver, SiftRoles.Admin));
        builder.Services.AddAntiforgery(antiforgery =>
        {
            antiforgery.Cookie.Name = "sift.antiforgery";
            antiforgery.Cookie.SecurePolicy = CookieSecurePolicy.SameAsRequest;
            antiforgery.FormFieldName = "__RequestVerificationToken";
        });
        return builder;
    }

    /// <summary>
    /// The OpenID Connect handler, its scheme added only when <c>Sift:Auth:Entra</c> is configured. The decision is taken
    /// from the options when the scheme list is first built, not from the configuration at registration, so every source
    /// (files, environment, a test host's settings) counts; an unconfigured handler would fail every request.
    /// </summary>
    private static void AddEntra(IServiceCollection services)
    {
        const string Scheme = OpenIdConnectDefaults.AuthenticationScheme;
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IPostConfigureOptions<OpenIdConnectOptions>, OpenIdConnectPostConfigureOptions>());
        services.AddTransient<OpenIdConnectHandler>();
        services.AddOptions<AuthenticationOptions>().Configure<IOptions<EntraOptions>>((authentication, entra) =>
        {
            if (entra.Value.Configured)
            {
                authentication.AddScheme<OpenIdConnectHandler>(Scheme, "Microsoft Entra ID");
            }
        });
        services.AddOptions<OpenIdConnectOptions>(Scheme)
            .Configure<IOptions<EntraOptions>>((oidc, options) =>
            {
                var entra = options.Value;
                if (!entra.Configured)
                {
                    return;
                }

                oidc.Authority = entra.Authority.ToString();
                oidc.ClientId = entra.ClientId;
                oidc.ClientSecret = entra.ClientSecret;
                oidc.CallbackPath = entra.CallbackPath;
                oidc.ResponseType = "code";
                // Entra ID is https; only a provider on this machine (a test's, or a developer's) may be plain http.
                oidc.RequireHttpsMetadata = !entra.Instance.IsLoopback;
                oidc.SignInScheme = CookieAuthenticationDefaults.AuthenticationScheme;
                oidc.MapInboundClaims = false;
                oidc.SaveTokens = false;
                oidc.Scope.Add("email");
                oidc.Events.OnTokenValidated = context =>
                {
                    // Sift's claims only: the name, the roles it understands and the groups, so the cookie stays small.
                    context.Principal = new ClaimsPrincipal(EntraRoleMapping.Map(context.Principal?.Claims ?? [], entra));
                    return Task.CompletedTask;
                };
            })
            .Validate(oidc =>
            {
                oidc.Validate(Scheme);
                return true;
            });
    }

    /// <summary>The rate-limiting policy of the login form's POST: <see cref="LocalAccountsOptions.LoginAttemptsPerMinute"/> per client address.</summary>
    public const string LoginRateLimit = "console-login";

    private const string SignedInAtItem = ".sift.signed-in-at";

    /// <summary>
    /// Every request with a console cookie: a session older than <see cref="LocalAccountsOptions.MaxSessionAge"/> ends
    /// (sliding renewal never makes it older than that), and a local account is read again, so a removed account, a
    /// changed role or a changed password takes effect at once instead of when the cookie expires.
    /// </summary>
    private static async Task ValidateSessionAsync(CookieValidatePrincipalContext context)
    {
        var services = context.HttpContext.RequestServices;
        var now = services.GetRequiredService<TimeProvider>().GetUtcNow();
        var maxAge = services.GetRequiredService<IOptionsMonitor<LocalAccountsOptions>>().CurrentValue.MaxSessionAge;
        var fresh = context.Properties.Items.TryGetValue(SignedInAtItem, out var at)
            && DateTimeOffset.TryParse(at, CultureInfo.InvariantCulture, DateTimeStyles.RoundtripKind, out var signedInAt)
            && now - signedInAt < maxAge;
        var stillValid = fresh;
        if (fresh && context.Principal?.Identity is { AuthenticationType: LocalAuthenticationType, Name: { } user })
        {
            var account = services.GetRequiredService<LocalAccounts>().Current(user);
            stillValid = account is not null
                && context.Principal.FindFirst(CredentialClaim)?.Value == account.CredentialFingerprint
                && SiftRoles.Implied(account.Role).Order(StringComparer.Ordinal)
                    .SequenceEqual(context.Principal.FindAll(SiftRoles.RoleClaim).Select(c => c.Value).Order(StringComparer.Ordinal));
        }

        if (!stillValid)
        {
            context.RejectPrincipal();
            await context.HttpContext.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        }
    }

    private const string CredentialClaim = "sift_credential";

    /// <summary>The authentication type of a local sign-in's identity (an Entra ID one is <see cref="EntraRoleMapping.AuthenticationType"/>).</summary>
    private const string LocalAuthenticationType = "local";

    /// <summary>
    /// The principal of a local sign-in, with the same claim types as an Entra ID one, and the fingerprint of the
    /// credential it signed in with (<see cref="LocalAccounts.Current"/>).
    /// </summary>
    public static ClaimsPrincipal LocalPrincipal(string user, string role, string? credentialFingerprint = null)
    {
        var identity = new ClaimsIdentity(LocalAuthenticationType, SiftRoles.NameClaim, SiftRoles.RoleClaim);
        identity.AddClaim(new Claim(SiftRoles.NameClaim, user));
        if (credentialFingerprint is not null)
        {
            identity.AddClaim(new Claim(CredentialClaim, credentialFingerprint));
        }

        identity.AddClaims(SiftRoles.Implied(role).Select(r => new Claim(SiftRoles.RoleClaim, r)));
        return new ClaimsPrincipal(identity);
    }

    /// <summary>A stored hash that is not one (a pasted password) or a user without a known role stops the host, naming the key.</summary>
    private sealed class LocalAccountsValidator : IValidateOptions<LocalAccountsOptions>
    {
        public ValidateOptionsResult Validate(string? name, LocalAccountsOptions options)
        {
            var errors = new List<string>();
            if (!string.IsNullOrWhiteSpace(options.LocalAdmin.PasswordHash) && !LocalPasswords.IsWellFormed(options.LocalAdmin.PasswordHash))
            {
                errors.Add($"{LocalAccountsOptions.Section}:LocalAdmin:PasswordHash is not a password hash: create one with `sift hash-password`.");
            }

            foreach (var (user, account) in options.Users)
            {
                if (SiftRoles.Parse(account.Role) is null)
                {
                    errors.Add($"{LocalAccountsOptions.Section}:Users:{user}:Role must be one of {string.Join(", ", SiftRoles.All)}.");
                }

                if (!LocalPasswords.IsWellFormed(account.PasswordHash))
                {
                    errors.Add($"{LocalAccountsOptions.Section}:Users:{user}:PasswordHash is missing or not a password hash: create one with `sift hash-password`.");
                }
            }

            return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
        }
    }

    private sealed class EntraValidator : IValidateOptions<EntraOptions>
    {
        public ValidateOptionsResult Validate(string? name, EntraOptions options)
        {
            if (!options.Configured)
            {
                return ValidateOptionsResult.Success;
            }

            if (options.MissingKey() is { } missing)
            {
                return ValidateOptionsResult.Fail($"Entra ID sign-in is partly configured: {missing} is missing.");
            }

            var unknown = options.Groups.Where(g => SiftRoles.Parse(g.Value) is null).Select(g => $"{EntraOptions.Section}:Groups:{g.Key}").ToList();
            return unknown.Count == 0
                ? ValidateOptionsResult.Success
                : ValidateOptionsResult.Fail($"{string.Join(", ", unknown)} must name a role: {string.Join(", ", SiftRoles.All)}.");
        }
    }
}
