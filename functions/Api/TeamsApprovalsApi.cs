using System.Globalization;
using System.Net;
using System.Text;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sift.Approvals.Teams;
using Sift.Engine;
using Sift.Security;
using Sift.Storage;
using Sift.Triage;

namespace Sift.Api;

/// <summary>
/// <c>GET|POST /approvals/{token}</c>: the pages behind a Teams card's Approve, Edit and Reject links. The signed token is
/// the credential (no API key, no sign-in needed). GET only shows a confirmation form, so link scanners (Safe Links,
/// Defender) that fetch every URL cannot decide anything; POST acts, spending the link in the same transaction that
/// records the decision.
/// </summary>
internal static class TeamsApprovalsApi
{
    private const int MaxNameChars = 200;
    private const int MaxTextChars = 100_000;

    public static IEndpointRouteBuilder MapTeamsApprovals(this IEndpointRouteBuilder app)
    {
        if (!app.ServiceProvider.GetRequiredService<IOptions<TeamsOptions>>().Value.Enabled)
        {
            return app;
        }

        var group = app.MapGroup("/approvals").WithTags("approvals").AllowAnonymous().ExcludeFromDescription();
        group.MapGet("/{token}", ShowAsync);
        group.MapPost("/{token}", ActAsync);
        return app;
    }

    private static async Task<ContentHttpResult> ShowAsync(
        string token,
        HttpContext context,
        IOptionsMonitor<TeamsOptions> options,
        ApprovalLinks links,
        MailboxAccess access,
        IAntiforgery antiforgery,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var checkedLink = await CheckAsync(token, context, options.CurrentValue, links, access, time, cancellationToken);
        if (checkedLink.Refusal is { } refusal)
        {
            return Page(context, refusal.Status, refusal.Title, refusal.Body);
        }

        var (link, item) = (checkedLink.Link!, checkedLink.Item!);

        var tokens = antiforgery.GetAndStoreTokens(context);
        return Page(context, StatusCodes.Status200OK, Verb(link.Action) + "?", ConfirmForm(context, link, item, tokens));
    }

    private static async Task<ContentHttpResult> ActAsync(
        string token,
        HttpContext context,
        IOptionsMonitor<TeamsOptions> options,
        ApprovalLinks links,
        MailboxAccess access,
        IAntiforgery antiforgery,
        WorkflowCommands commands,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        var checkedLink = await CheckAsync(token, context, options.CurrentValue, links, access, time, cancellationToken);
        if (checkedLink.Refusal is { } refusal)
        {
            return Page(context, refusal.Status, refusal.Title, refusal.Body);
        }

        var (link, item) = (checkedLink.Link!, checkedLink.Item!);

        if (!context.Request.HasFormContentType)
        {
            return Page(context, StatusCodes.Status400BadRequest, "Not a form", "<p>Use the form on the approval page (the request was not a form post).</p>");
        }

        if (!await antiforgery.IsRequestValidAsync(context))
        {
            return Page(context, StatusCodes.Status400BadRequest, "The form has expired",
                "<p>The form's anti-forgery token is missing or no longer valid (field <code>__RequestVerificationToken</code>). Open the link from the Teams card again and confirm there.</p>");
        }

        var form = await context.Request.ReadFormAsync(cancellationToken);
        var name = context.User.Identity is { IsAuthenticated: true, Name: { Length: > 0 } signedIn } ? signedIn : form["by"].ToString().Trim();
        if (name.Length is 0 or > MaxNameChars)
        {
            return Page(context, StatusCodes.Status400BadRequest, "Who decides?",
                $"<p>The field <code>by</code> (your name or e-mail) is required, up to {MaxNameChars} characters. Go back and fill it in.</p>");
        }

        string? text = null;
        if (link.Action == ApprovalLinkToken.Edit)
        {
            text = form["text"].ToString();
            if (string.IsNullOrWhiteSpace(text) || text.Length > MaxTextChars)
            {
                return Page(context, StatusCodes.Status400BadRequest, "The reply is empty",
                    "<p>The field <code>text</code> (the reply to send) is empty or too long. Go back and write the reply, or use the card's Reject link.</p>");
            }

            text = text.Replace("\r\n", "\n", StringComparison.Ordinal);
        }

        var now = time.GetUtcNow();
        var by = $"teams-link:{name} ({item.Owner ?? "unknown"})";
        var decision = new ReviewDecision(link.Action, text, by, now);
        var (outcome, status) = await commands.DecideAsync(link.MessageId, decision, cancellationToken, ApprovalLinks.Claim(link.Nonce, by, now));
        return outcome switch
        {
            EventOutcome.Accepted => Page(context, StatusCodes.Status200OK, Done(link.Action),
                $"<p>{Encode(Done(link.Action))} by {Encode(name)}. {(link.Action == ApprovalLinkToken.Reject ? "No reply is sent." : "The reply is being sent from the mailbox that received the mail.")}</p><p>You can close this page.</p>"),
            EventOutcome.NotFound => Page(context, StatusCodes.Status404NotFound, "Unknown message", $"<p>{Encode(ReviewDecisions.Refusal(link.MessageId, outcome, status)!)}</p>"),
            EventOutcome.Refused => Page(context, StatusCodes.Status410Gone, "This link was already used", "<p>This link was already used; nothing was changed.</p>"),
            _ => Page(context, StatusCodes.Status409Conflict, "Already decided", $"<p>Nothing was changed: {Encode(ReviewDecisions.Refusal(link.MessageId, outcome, status)!)}</p>"),
        };
    }

    private sealed record Refusal(int Status, string Title, string Body);

    /// <summary>
    /// With <see cref="TeamsOptions.RequireSignIn"/>, the page acts only for a signed-in person who may decide the message's
    /// mailbox: the link then proves where the click came from, the sign-in who clicked. Asked before anything about the
    /// message or the link's use is shown, so a forwarded link tells a stranger nothing but "sign in".
    /// </summary>
    private static Refusal? SignInRefusal(HttpContext context, TeamsOptions options)
    {
        if (!options.RequireSignIn || context.User.Identity is { IsAuthenticated: true })
        {
            return null;
        }

        var back = Uri.EscapeDataString(context.Request.PathBase + context.Request.Path);
        return new Refusal(StatusCodes.Status401Unauthorized, "Sign in first",
            $"<p>This Sift decides review links only for people signed in to it. <a id=\"sign-in\" href=\"{SecurityExtensions.LoginPath}?returnUrl={back}\">Sign in</a>, and you come back to this page.</p>");
    }

    /// <summary>With <see cref="TeamsOptions.RequireSignIn"/>, the signed-in person must be an approver of the message's mailbox.</summary>
    private static Refusal? MailboxRefusal(HttpContext context, TeamsOptions options, MailboxAccess access, ApprovalItem item) =>
        !options.RequireSignIn || access.CanDecide(context.User, item.Mailbox)
            ? null
            : new Refusal(StatusCodes.Status403Forbidden, "Not yours to decide",
                $"<p>You are signed in as {Encode(context.User.Identity?.Name ?? "someone")}, who may not decide mail of the mailbox {Encode(item.Mailbox)} (<code>Sift:Access:Mailboxes</code>). Nothing was changed; ask its approvers, or an admin.</p>");

    private sealed record Checked(ApprovalLink? Link, ApprovalItem? Item, Refusal? Refusal);

    /// <summary>
    /// Everything a link must pass before its page is shown or its action taken: signature, expiry, sign-in (when required),
    /// the mailbox's approvers (when sign-in is required), single use, and a message that still waits.
    /// </summary>
    private static async Task<Checked> CheckAsync(
        string token, HttpContext context, TeamsOptions options, ApprovalLinks links, MailboxAccess access, TimeProvider time, CancellationToken cancellationToken)
    {
        var verification = ApprovalLinkToken.Verify(token, options.KeyBytes(), time.GetUtcNow());
        if (verification.Check == LinkCheck.Tampered)
        {
            return Refuse(StatusCodes.Status400BadRequest, "This link is not valid",
                "<p>The link is damaged or was not issued by Sift (its signature does not match). Open it again from the Teams card; if it still fails, decide in Sift's console.</p>");
        }

        var link = verification.Link!;
        if (verification.Check == LinkCheck.Expired)
        {
            return Refuse(StatusCodes.Status410Gone, "This link has expired",
                $"<p>The link expired at {Encode(When(link.ExpiresAt))}. Decide in Sift's console instead.</p>");
        }

        if (SignInRefusal(context, options) is { } signIn)
        {
            return new Checked(null, null, signIn);
        }

        var row = await links.FindAsync(link.Nonce, cancellationToken);
        if (row is null || row.MessageId != link.MessageId || row.Action != link.Action)
        {
            return Refuse(StatusCodes.Status404NotFound, "Unknown link", "<p>Sift has no record of this link. Decide in Sift's console instead.</p>");
        }

        var item = await links.FindItemAsync(link.MessageId, ReviewDecision.EventName, cancellationToken);
        if (item is null)
        {
            return Refuse(StatusCodes.Status404NotFound, "Unknown message", "<p>The message this link is for no longer exists.</p>");
        }

        if (MailboxRefusal(context, options, access, item) is { } notAllowed)
        {
            return new Checked(null, null, notAllowed);
        }

        if (row.UsedAt is { } usedAt)
        {
            return Refuse(StatusCodes.Status410Gone, "This link was already used",
                $"<p>It was used by {Encode(row.UsedBy ?? "someone")} at {Encode(When(usedAt))}. Each link acts once.</p>");
        }

        if (item.Decisions > 0)
        {
            return Refuse(StatusCodes.Status409Conflict, "Already decided",
                $"<p>A review decision was already recorded for “{Encode(item.Subject)}” (through another link, Slack or the API). Nothing was changed.</p>");
        }

        if (item.Status != MessageStatus.AwaitingReview)
        {
            return Refuse(StatusCodes.Status409Conflict, "No longer waiting for a decision",
                $"<p>The message “{Encode(item.Subject)}” is not waiting for review any more: its status is <strong>{Encode(item.Status)}</strong>. Nothing was changed.</p>");
        }

        return new Checked(link, item, null);

        static Checked Refuse(int status, string title, string body) => new(null, null, new Refusal(status, title, body));
    }

    private static string ConfirmForm(HttpContext context, ApprovalLink link, ApprovalItem item, AntiforgeryTokenSet tokens)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"<dl><dt>From</dt><dd>{Encode(item.Sender)}</dd><dt>Subject</dt><dd>{Encode(item.Subject)}</dd></dl>");
        html.Append(CultureInfo.InvariantCulture, $"<form method=\"post\" action=\"{Encode(context.Request.PathBase + context.Request.Path)}\">");
        html.Append(CultureInfo.InvariantCulture, $"<input type=\"hidden\" name=\"{Encode(tokens.FormFieldName)}\" value=\"{Encode(tokens.RequestToken ?? string.Empty)}\">");
        if (link.Action == ApprovalLinkToken.Edit)
        {
            html.Append(CultureInfo.InvariantCulture, $"<label for=\"text\">Reply to send</label><textarea id=\"text\" name=\"text\" rows=\"16\" required>{Encode(item.Draft ?? string.Empty)}</textarea>");
        }
        else
        {
            html.Append(CultureInfo.InvariantCulture, $"<h2>Draft</h2><pre id=\"draft\">{Encode(item.Draft ?? string.Empty)}</pre>");
        }

        if (context.User.Identity is not { IsAuthenticated: true })
        {
            html.Append(CultureInfo.InvariantCulture, $"<label for=\"by\">Your name or e-mail (recorded as who decided)</label><input id=\"by\" name=\"by\" type=\"text\" autocomplete=\"email\" maxlength=\"{MaxNameChars}\" required>");
        }

        html.Append(CultureInfo.InvariantCulture, $"<p>Nothing happens until you press the button. This link works once.</p><button type=\"submit\">{Encode(Button(link.Action))}</button></form>");
        return html.ToString();
    }

    /// <summary>A small self-contained page; the token is in the URL, so no referrer leaves it and nothing caches or frames it.</summary>
    private static ContentHttpResult Page(HttpContext context, int status, string title, string body)
    {
        var headers = context.Response.Headers;
        headers.CacheControl = "no-store";
        headers["Referrer-Policy"] = "no-referrer";
        headers["X-Content-Type-Options"] = "nosniff";
        headers.ContentSecurityPolicy = "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'";
        var html = $$"""
            <!DOCTYPE html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="robots" content="noindex, nofollow">
            <title>{{Encode(title)}} · Sift</title>
            <style>
            body { font-family: system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem; line-height: 1.5; color: #1b1b1b; }
            dt { font-weight: bold; } dd { margin: 0 0 .5rem 0; }
            pre, textarea { white-space: pre-wrap; width: 100%; box-sizing: border-box; font: inherit; border: 1px solid #767676; padding: .5rem; }
            label { display: block; font-weight: bold; margin-top: 1rem; }
            input[type=text] { width: 100%; box-sizing: border-box; padding: .4rem; font: inherit; }
            button { margin-top: 1rem; padding: .6rem 1.2rem; font: inherit; font-weight: bold; }
            :focus-visible { outline: 3px solid #005fcc; outline-offset: 2px; }
            </style>
            </head>
            <body>
            <main>
            <h1>{{Encode(title)}}</h1>
            {{body}}
            </main>
            </body>
            </html>
            """;
        return TypedResults.Content(html, "text/html; charset=utf-8", Encoding.UTF8, status);
    }

    private static string Verb(string action) => action switch
    {
        ApprovalLinkToken.Approve => "Approve and send this reply",
        ApprovalLinkToken.Edit => "Edit and send this reply",
        _ => "Reject this draft",
    };

    private static string Button(string action) => action switch
    {
        ApprovalLinkToken.Approve => "Approve and send",
        ApprovalLinkToken.Edit => "Send the edited reply",
        _ => "Reject (send nothing)",
    };

    private static string Done(string action) => action switch
    {
        ApprovalLinkToken.Approve => "Approved",
        ApprovalLinkToken.Edit => "Edited and approved",
        _ => "Rejected",
    };

    private static string When(DateTimeOffset at) => at.UtcDateTime.ToString("yyyy-MM-dd HH:mm 'UTC'", CultureInfo.InvariantCulture);

    private static string Encode(string text) => WebUtility.HtmlEncode(text);
}
