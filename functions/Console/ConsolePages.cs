using System.Security.Claims;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.Cookies;
using Microsoft.AspNetCore.Authentication.OpenIdConnect;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sift.Api;
using Sift.Classification;
using Sift.Engine;
using Sift.Security;
using Sift.Storage;
using Sift.Triage;

namespace Sift.WebConsole;

/// <summary>
/// The web console: sign-in, the review queue and the message page, and the decisions, which go through the same path
/// as the API's and Slack's (<see cref="ReviewDecisions"/>). Every POST checks the antiforgery token first.
/// </summary>
internal static class ConsolePages
{
    private const string Html = "text/html; charset=utf-8";

    public static IEndpointRouteBuilder MapSiftConsole(this IEndpointRouteBuilder app)
    {
        app.MapGet("/console/login", LoginPage).AllowAnonymous();
        app.MapPost("/console/login", LoginAsync).AllowAnonymous().RequireRateLimiting(SecurityExtensions.LoginRateLimit);
        app.MapGet("/console/login/entra", EntraChallenge).AllowAnonymous();
        app.MapPost("/console/logout", LogoutAsync).AllowAnonymous();
        app.MapGet("/console/denied", Denied).AllowAnonymous();
        app.MapGet("/console/assets/{name}", ConsoleAssets.Serve).AllowAnonymous();

        var pages = app.MapGroup("/console").RequireAuthorization(SiftRoles.CanView);
        pages.MapGet("/", QueueAsync);
        pages.MapGet("/messages/{id:guid}", MessageAsync);
        pages.MapPost("/messages/{id:guid}/decision", DecideAsync);
        pages.MapPost("/messages/{id:guid}/reassign", ReassignAsync);
        return app;
    }

    private static ContentHttpResult Page(HttpContext http, string title, string body, int status = StatusCodes.Status200OK, string? kind = null)
    {
        // No inline script or style, no framing: the page needs nothing but its own files.
        http.Response.Headers.ContentSecurityPolicy = "default-src 'self'; frame-ancestors 'none'; form-action 'self'";
        http.Response.Headers.XContentTypeOptions = "nosniff";
        http.Response.Headers.CacheControl = "no-store";
        var antiforgery = http.RequestServices.GetRequiredService<IAntiforgery>();
        var tokens = http.User.Identity?.IsAuthenticated == true ? antiforgery.GetAndStoreTokens(http) : null;
        return TypedResults.Content(ConsoleHtml.Page(title, body, http.User, tokens, kind), Html, statusCode: status);
    }

    private static ContentHttpResult LoginPage(HttpContext http, LocalAccounts accounts, IOptions<EntraOptions> entra, string? returnUrl) =>
        LoginForm(http, accounts, entra.Value, returnUrl, error: null, StatusCodes.Status200OK);

    private static ContentHttpResult LoginForm(HttpContext http, LocalAccounts accounts, EntraOptions entra, string? returnUrl, string? error, int status)
    {
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        var body = "<h1>Sign in</h1>" + (error is null ? string.Empty : ConsoleHtml.Notice("error", error));
        if (entra.Configured)
        {
            body += $"<p><a class=\"button primary\" id=\"entra-login\" href=\"/console/login/entra?returnUrl={Uri.EscapeDataString(SafeReturn(returnUrl))}\">Sign in with Microsoft Entra ID</a></p>";
        }

        if (accounts.Enabled)
        {
            body += $"""
                <form method="post" action="/console/login" class="login">{ConsoleHtml.Token(tokens)}
                <input type="hidden" name="returnUrl" value="{ConsoleHtml.E(SafeReturn(returnUrl))}">
                <p><label for="user">User name</label><input id="user" name="user" autocomplete="username" required autofocus></p>
                <p><label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required></p>
                <p><button type="submit" id="sign-in" class="primary">Sign in</button></p>
                </form>
                """;
        }
        else if (!entra.Configured)
        {
            // Never a default password: the operator sets the first one.
            body += $"""
                <p id="first-run">No console account is set up yet. Set the local admin's password and restart Sift:
                the environment variable <code>{LocalAccountsOptions.PasswordVariable}</code>, or a hash from
                <code>sift hash-password</code> in <code>Sift:Console:LocalAdmin:PasswordHash</code> (see docs/console.md).</p>
                """;
        }

        return Page(http, "Sign in", body, status, "login");
    }

    private static async Task<Results<RedirectHttpResult, ContentHttpResult>> LoginAsync(
        HttpContext http, IAntiforgery antiforgery, LocalAccounts accounts, IOptions<EntraOptions> entra)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return LoginForm(http, accounts, entra.Value, null, "The form expired. Sign in again.", StatusCodes.Status400BadRequest);
        }

        var form = await http.Request.ReadFormAsync(http.RequestAborted);
        var returnUrl = form["returnUrl"].ToString();
        var user = form["user"].ToString().Trim();
        var password = form["password"].ToString();
        if (user.Length == 0 || password.Length == 0)
        {
            return LoginForm(http, accounts, entra.Value, returnUrl, user.Length == 0 ? "Enter your user name." : "Enter your password.", StatusCodes.Status400BadRequest);
        }

        if (accounts.Verify(user, password) is not var (name, role))
        {
            return LoginForm(http, accounts, entra.Value, returnUrl, "The user name or the password is wrong.", StatusCodes.Status401Unauthorized);
        }

        await http.SignInAsync(CookieAuthenticationDefaults.AuthenticationScheme, SecurityExtensions.LocalPrincipal(name, role, accounts.Current(name)?.CredentialFingerprint));
        return TypedResults.Redirect(SafeReturn(returnUrl));
    }

    private static Results<ChallengeHttpResult, RedirectHttpResult> EntraChallenge(string? returnUrl, IOptions<EntraOptions> entra) =>
        entra.Value.Configured
            ? TypedResults.Challenge(new AuthenticationProperties { RedirectUri = SafeReturn(returnUrl) }, [OpenIdConnectDefaults.AuthenticationScheme])
            : TypedResults.Redirect(SecurityExtensions.LoginPath);

    private static async Task<Results<RedirectHttpResult, BadRequest>> LogoutAsync(HttpContext http, IAntiforgery antiforgery)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return TypedResults.BadRequest();
        }

        await http.SignOutAsync(CookieAuthenticationDefaults.AuthenticationScheme);
        return TypedResults.Redirect(SecurityExtensions.LoginPath);
    }

    private static ContentHttpResult Denied(HttpContext http) =>
        Page(http, "No access", "<h1>No access</h1><p id=\"denied\">Your account has no Sift role (viewer, approver or admin). Ask an administrator to grant one.</p>", StatusCodes.Status403Forbidden);

    private static async Task<ContentHttpResult> QueueAsync(
        HttpContext http, ReviewQueue queue, TimeProvider time, IOptionsMonitor<ConsoleOptions> options,
        string? mailbox, string? intent, string? owner, string? age, string? sla, CancellationToken cancellationToken)
    {
        var errors = new List<string>();
        int? minAge = null;
        if (!string.IsNullOrEmpty(age))
        {
            if (int.TryParse(age, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var hours) && hours is > 0 and <= 24 * 365)
            {
                minAge = hours;
            }
            else
            {
                errors.Add("age must be a number of hours (1 to 8760).");
            }
        }

        if (!string.IsNullOrEmpty(sla) && !SlaState.All.Contains(sla))
        {
            errors.Add($"sla must be one of {string.Join(", ", SlaState.All)}.");
        }

        if (errors.Count > 0)
        {
            return Page(http, "Review queue", "<h1>Review queue</h1>" + string.Concat(errors.Select(e => ConsoleHtml.Notice("error", e))) + "<p><a href=\"/console\">Clear the filters</a></p>", StatusCodes.Status400BadRequest);
        }

        var filter = new QueueFilter(Blank(mailbox), Blank(intent), Blank(owner), minAge, Blank(sla));
        var (items, unfiltered) = await queue.ListAsync(filter, cancellationToken);
        return Page(http, "Review queue", ConsoleHtml.Queue(items, unfiltered, filter, time.GetUtcNow(), options.CurrentValue.DueSoon), kind: "queue");
    }

    private static async Task<ContentHttpResult> MessageAsync(
        Guid id, HttpContext http, MessageQueries queries, MailboxAccess access, IOptionsMonitor<TaxonomyOptions> taxonomy, string? done, CancellationToken cancellationToken)
    {
        if (await queries.GetAsync(id, cancellationToken) is not { } detail)
        {
            return NotFound(http, id);
        }

        var notice = done switch
        {
            ReviewDecision.Approve => ConsoleHtml.Notice("ok", "Approved. The workflow sends the reply now; the status below follows it."),
            ReviewDecision.Edit => ConsoleHtml.Notice("ok", "Your edited reply was accepted. The workflow sends it now; the status below follows it."),
            ReviewDecision.Reject => ConsoleHtml.Notice("ok", "Rejected: no reply will be sent."),
            "reassign" => ConsoleHtml.Notice("ok", $"Reassigned to {detail.Classification.Owner}."),
            _ => null,
        };
        return MessagePage(http, detail, access, taxonomy.CurrentValue, notice, StatusCodes.Status200OK);
    }

    private static ContentHttpResult MessagePage(HttpContext http, MessageDetail detail, MailboxAccess access, TaxonomyOptions taxonomy, string? notice, int status)
    {
        var why = CannotDecide(http.User, detail.Mailbox, access);
        var actions = new ConsoleHtml.Actions(why is null, why, taxonomy.Owners);
        var tokens = http.RequestServices.GetRequiredService<IAntiforgery>().GetAndStoreTokens(http);
        return Page(http, detail.Subject, ConsoleHtml.Message(detail, actions, tokens, notice), status, "message");
    }

    private static async Task<Results<RedirectHttpResult, ContentHttpResult>> DecideAsync(
        Guid id, HttpContext http, IAntiforgery antiforgery, MessageQueries queries, MailboxAccess access, WorkflowCommands commands,
        IOptionsMonitor<TaxonomyOptions> taxonomy, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await Refuse(id, http, antiforgery, queries, access, cancellationToken) is { } refusal)
        {
            return refusal.Result;
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var action = form["action"].ToString();
        var text = form["text"].ToString();
        var detail = (await queries.GetAsync(id, cancellationToken))!;
        if (action is not (ReviewDecision.Approve or ReviewDecision.Edit or ReviewDecision.Reject))
        {
            return MessagePage(http, detail, access, taxonomy.CurrentValue, ConsoleHtml.Notice("error", $"action must be approve, edit or reject (got '{action}')."), StatusCodes.Status400BadRequest);
        }

        if (action == ReviewDecision.Edit && string.IsNullOrWhiteSpace(text))
        {
            return MessagePage(http, detail, access, taxonomy.CurrentValue, ConsoleHtml.Notice("error", "text is required to send an edited reply: it is the reply that will be sent."), StatusCodes.Status400BadRequest);
        }

        var decision = new ReviewDecision(action, action == ReviewDecision.Edit ? text.ReplaceLineEndings("\n") : null, Actor(http.User), time.GetUtcNow());
        var (outcome, status) = await commands.DecideAsync(id, decision, cancellationToken);
        if (outcome == EventOutcome.Accepted)
        {
            return TypedResults.Redirect($"/console/messages/{id}?done={action}");
        }

        var current = await queries.GetAsync(id, cancellationToken) ?? detail;
        return MessagePage(http, current, access, taxonomy.CurrentValue,
            ConsoleHtml.Notice("error", $"Nothing was changed. {ReviewDecisions.Refusal(id, outcome, status)}"), StatusCodes.Status409Conflict);
    }

    private static async Task<Results<RedirectHttpResult, ContentHttpResult>> ReassignAsync(
        Guid id, HttpContext http, IAntiforgery antiforgery, MessageQueries queries, MailboxAccess access, SiftDatabase database,
        IOptionsMonitor<TaxonomyOptions> taxonomy, TimeProvider time, CancellationToken cancellationToken)
    {
        if (await Refuse(id, http, antiforgery, queries, access, cancellationToken) is { } refusal)
        {
            return refusal.Result;
        }

        var form = await http.Request.ReadFormAsync(cancellationToken);
        var owner = form["owner"].ToString().Trim();
        if (!taxonomy.CurrentValue.Owners.Contains(owner, StringComparer.Ordinal))
        {
            var detail = (await queries.GetAsync(id, cancellationToken))!;
            return MessagePage(http, detail, access, taxonomy.CurrentValue,
                ConsoleHtml.Notice("error", $"owner must be one of {string.Join(", ", taxonomy.CurrentValue.Owners)} (got '{owner}')."), StatusCodes.Status400BadRequest);
        }

        var (outcome, status) = await database.ReassignAsync(id, owner, Actor(http.User), time, cancellationToken);
        if (outcome == EventOutcome.Accepted)
        {
            return TypedResults.Redirect($"/console/messages/{id}?done=reassign");
        }

        var current = (await queries.GetAsync(id, cancellationToken))!;
        var why = outcome == EventOutcome.Refused
            ? "A worker is resuming this review right now: its SLA deadline passed and it is escalating to the fallback owner, or a decision arrived. Reload the page in a moment."
            : ReviewDecisions.Refusal(id, outcome, status);
        return MessagePage(http, current, access, taxonomy.CurrentValue, ConsoleHtml.Notice("error", $"Nothing was changed. {why}"), StatusCodes.Status409Conflict);
    }

    private sealed record Refusal(ContentHttpResult Result);

    /// <summary>The checks every action shares: a valid form token, a message that exists, a role and a mailbox that allow it.</summary>
    private static async Task<Refusal?> Refuse(Guid id, HttpContext http, IAntiforgery antiforgery, MessageQueries queries, MailboxAccess access, CancellationToken cancellationToken)
    {
        if (!await antiforgery.IsRequestValidAsync(http))
        {
            return new Refusal(Page(http, "Form expired", $"<h1>Form expired</h1>{ConsoleHtml.Notice("error", "The form's security token is missing or expired: nothing was changed. Reload the message and try again.")}<p><a href=\"/console/messages/{id}\">Reload the message</a></p>", StatusCodes.Status400BadRequest));
        }

        if (await queries.GetAsync(id, cancellationToken) is not { } detail)
        {
            return new Refusal(NotFound(http, id));
        }

        if (CannotDecide(http.User, detail.Mailbox, access) is { } why)
        {
            return new Refusal(Page(http, "Not allowed", $"<h1>Not allowed</h1>{ConsoleHtml.Notice("error", $"Nothing was changed. {why}")}<p><a href=\"/console/messages/{id}\">Back to the message</a></p>", StatusCodes.Status403Forbidden));
        }

        return null;
    }

    private static string? CannotDecide(ClaimsPrincipal user, string mailbox, MailboxAccess access) =>
        !user.IsInRole(SiftRoles.Approver) && !user.IsInRole(SiftRoles.Admin)
            ? "You have the viewer role: you can read this review but not decide it."
            : !access.CanDecide(user, mailbox)
                ? $"You may not decide mail of the mailbox {mailbox}: it is not among your mailboxes (Sift:Access:Mailboxes)."
                : null;

    /// <summary>Who decided, as the audit trail and the draft record it: the door and the person.</summary>
    private static string Actor(ClaimsPrincipal user) => $"console:{user.Identity?.Name}";

    private static ContentHttpResult NotFound(HttpContext http, Guid id) =>
        Page(http, "Not found", $"<h1>Not found</h1>{ConsoleHtml.Notice("error", $"No message has id {id}.")}<p><a href=\"/console\">Review queue</a></p>", StatusCodes.Status404NotFound);

    private static string? Blank(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();

    /// <summary>Only a path inside the console: an open redirect would let a link send a freshly signed-in user anywhere.</summary>
    private static string SafeReturn(string? returnUrl) =>
        !string.IsNullOrEmpty(returnUrl)
        && (returnUrl.StartsWith("/console", StringComparison.Ordinal) || returnUrl.StartsWith("/approvals/", StringComparison.Ordinal))
        && !returnUrl.StartsWith("//", StringComparison.Ordinal) && !returnUrl.Contains('\\', StringComparison.Ordinal)
            ? returnUrl
            : "/console";
}
