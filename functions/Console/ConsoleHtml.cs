using System.Globalization;
using System.Security.Claims;
using System.Text;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Antiforgery;
using Sift.Api;
using Sift.Security;
using Sift.Storage;

namespace Sift.WebConsole;

/// <summary>The console's HTML: server-rendered, every value encoded, no script needed to read or act (script only adds shortcuts).</summary>
internal static class ConsoleHtml
{
    public static string E(string? value) => HtmlEncoder.Default.Encode(value ?? string.Empty);

    public static string Time(DateTimeOffset? at) =>
        at is { } value ? $"<time datetime=\"{value.UtcDateTime:O}\">{value.UtcDateTime.ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)} UTC</time>" : "–";

    public static string Age(TimeSpan age) =>
        age.TotalMinutes < 1 ? "just now"
        : age.TotalHours < 1 ? $"{(int)age.TotalMinutes} min"
        : age.TotalDays < 1 ? $"{(int)age.TotalHours} h"
        : $"{(int)age.TotalDays} d";

    public static string Token(AntiforgeryTokenSet tokens) =>
        $"<input type=\"hidden\" name=\"{E(tokens.FormFieldName)}\" value=\"{E(tokens.RequestToken)}\">";

    /// <summary>The page frame: skip link, header with who is signed in, main landmark, the shortcuts in the footer.</summary>
    public static string Page(string title, string body, ClaimsPrincipal? user, AntiforgeryTokenSet? tokens, string? pageKind = null)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>{E(title)} · Sift</title>
            <link rel="stylesheet" href="/console/assets/console.css">
            <script src="/console/assets/console.js" defer></script>
            </head>
            <body data-page="{E(pageKind ?? "other")}">
            <a class="skip-link" href="#main">Skip to main content</a>
            <header class="top">
            <a class="brand" href="/console">Sift review console</a>
            """);
        if (user?.Identity?.IsAuthenticated == true && tokens is not null)
        {
            var roles = string.Join(", ", SiftRoles.All.Where(user.IsInRole).Reverse().Take(1));
            html.Append(CultureInfo.InvariantCulture, $"""
                <span class="who">Signed in as <strong id="user-name">{E(user.Identity.Name)}</strong> (<span id="user-role">{E(roles)}</span>)</span>
                <form method="post" action="/console/logout" class="inline" id="logout-form">{Token(tokens)}<button type="submit">Sign out</button></form>
                """);
        }

        html.Append(CultureInfo.InvariantCulture, $"""
            </header>
            <main id="main" tabindex="-1">
            {body}
            </main>
            <footer class="shortcuts" aria-label="Keyboard shortcuts">
            <p>Keyboard: <kbd>j</kbd>/<kbd>k</kbd> next/previous message, <kbd>Enter</kbd> open, <kbd>a</kbd> approve, <kbd>e</kbd> edit,
            <kbd>r</kbd> reject, <kbd>o</kbd> reassign (each moves the focus to its button; <kbd>Enter</kbd> acts), <kbd>q</kbd> back to the queue.</p>
            </footer>
            </body>
            </html>
            """);
        return html.ToString();
    }

    public static string Notice(string kind, string text) => $"<div class=\"notice {E(kind)}\" role=\"{(kind == "error" ? "alert" : "status")}\" id=\"notice\">{E(text)}</div>";

    public static string Status(string status) => $"<span class=\"status status-{E(status.Replace('_', '-'))}\">{E(status.Replace('_', ' '))}</span>";

    public static string Queue(IReadOnlyList<QueueItem> items, IReadOnlyList<QueueItem> unfiltered, QueueFilter filter, DateTimeOffset now, TimeSpan dueSoon)
    {
        static string Options(IEnumerable<string?> values, string? selected, string all) =>
            $"<option value=\"\">{E(all)}</option>" + string.Concat(values.OfType<string>().Append(selected).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.Ordinal)
                .Select(v => $"<option value=\"{E(v)}\"{(v == selected ? " selected" : string.Empty)}>{E(v)}</option>"));

        var ages = new[] { (1, "older than 1 hour"), (4, "older than 4 hours"), (24, "older than 1 day") };
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <h1>Review queue</h1>
            <form method="get" action="/console" class="filters" aria-label="Filter the queue">
            <label for="f-mailbox">Mailbox</label><select id="f-mailbox" name="mailbox">{Options(unfiltered.Select(i => i.Mailbox), filter.Mailbox, "all mailboxes")}</select>
            <label for="f-intent">Intent</label><select id="f-intent" name="intent">{Options(unfiltered.Select(i => i.Intent), filter.Intent, "all intents")}</select>
            <label for="f-owner">Owner</label><select id="f-owner" name="owner">{Options(unfiltered.Select(i => i.Owner), filter.Owner, "all owners")}</select>
            <label for="f-age">Age</label><select id="f-age" name="age"><option value="">any age</option>{string.Concat(ages.Select(a => $"<option value=\"{a.Item1}\"{(filter.MinAgeHours == a.Item1 ? " selected" : string.Empty)}>{a.Item2}</option>"))}</select>
            <label for="f-sla">SLA</label><select id="f-sla" name="sla"><option value="">any SLA state</option>{string.Concat(SlaState.All.Select(s => $"<option value=\"{s}\"{(filter.Sla == s ? " selected" : string.Empty)}>{SlaState.Label(s)}</option>"))}</select>
            <button type="submit" id="apply-filters">Filter</button> <a href="/console">Clear</a>
            </form>
            <p id="queue-count" role="status">{items.Count} of {unfiltered.Count} waiting for review{(unfiltered.Count >= ReviewQueue.Limit ? $" (the oldest {ReviewQueue.Limit} are listed)" : string.Empty)}, soonest deadline first.</p>
            """);
        if (items.Count == 0)
        {
            html.Append("<p class=\"empty\">Nothing waits for review with these filters.</p>");
            return html.ToString();
        }

        html.Append("""
            <table class="queue" id="queue">
            <caption class="visually-hidden">Messages waiting for review</caption>
            <thead><tr><th scope="col">Subject</th><th scope="col">From</th><th scope="col">Mailbox</th><th scope="col">Intent</th><th scope="col">Urgency</th><th scope="col">Owner</th><th scope="col">Age</th><th scope="col">Due</th><th scope="col">SLA</th></tr></thead>
            <tbody>
            """);
        foreach (var item in items)
        {
            var sla = SlaState.Of(item.Deadline, now, dueSoon);
            html.Append(CultureInfo.InvariantCulture, $"""
                <tr data-id="{item.Id}" data-sla="{sla}">
                <td><a class="row-link" href="/console/messages/{item.Id}">{E(item.Subject.Length == 0 ? "(no subject)" : item.Subject)}</a></td>
                <td>{E(item.Sender)}</td><td>{E(item.Mailbox)}</td><td>{E(item.Intent)}</td><td>{E(item.Urgency)}</td><td>{E(item.Owner)}</td>
                <td>{Age(now - item.ReceivedAt)}</td><td>{Time(item.Deadline)}</td><td><span class="sla sla-{sla}">{SlaState.Label(sla)}</span></td>
                </tr>
                """);
        }

        html.Append("</tbody></table>");
        return html.ToString();
    }

    /// <summary>What the reviewer may do here, and if nothing, why.</summary>
    public sealed record Actions(bool CanDecide, string? Why, IReadOnlyList<string> Owners);

    public static string Message(MessageDetail m, Actions actions, AntiforgeryTokenSet tokens, string? notice)
    {
        var html = new StringBuilder();
        html.Append(CultureInfo.InvariantCulture, $"""
            <p><a href="/console" id="back">← Review queue</a></p>
            <h1 id="subject">{E(m.Subject.Length == 0 ? "(no subject)" : m.Subject)}</h1>
            {notice}
            <dl class="facts">
            <dt>Status</dt><dd id="status">{Status(m.Status)}</dd>
            <dt>From</dt><dd>{E(m.From.ToString())}</dd>
            <dt>Mailbox</dt><dd id="mailbox">{E(m.Mailbox)}</dd>
            <dt>Received</dt><dd>{Time(m.ReceivedAt)}</dd>
            <dt>Decide by</dt><dd>{Time(m.Workflow.WaitDeadline)}</dd>
            </dl>
            """);

        if (m.Status == MessageStatus.AwaitingReview)
        {
            html.Append(Decide(m, actions, tokens));
        }

        html.Append(CultureInfo.InvariantCulture, $"""
            <section aria-labelledby="h-email"><h2 id="h-email">The email</h2>
            <pre class="mail" id="email-text">{E(m.Text)}</pre>
            {(m.Attachments.Count > 0 ? $"<p>Attachments (not shown): {E(string.Join(", ", m.Attachments.Select(a => a.Name)))}</p>" : string.Empty)}
            </section>
            <section aria-labelledby="h-class"><h2 id="h-class">Classification</h2>
            <dl class="facts" id="classification">
            <dt>Intent</dt><dd>{E(m.Classification.Intent)}</dd>
            <dt>Urgency</dt><dd>{E(m.Classification.Urgency)}</dd>
            <dt>Owner</dt><dd id="owner-now">{E(m.Classification.Owner)}</dd>
            <dt>Confidence</dt><dd>{(m.Classification.Confidence is { } c ? c.ToString("0.00", CultureInfo.InvariantCulture) : "–")}</dd>
            <dt>Policy flags</dt><dd>{E(m.Classification.PolicyFlags.Count == 0 ? "none" : string.Join(", ", m.Classification.PolicyFlags))}</dd>
            </dl>
            </section>
            <section aria-labelledby="h-why"><h2 id="h-why">Why: the route and every rule that matched</h2>
            <p>Route: <strong>{E(m.Decision.Route ?? "–")}</strong>{(m.Decision.FilterReason is { } reason ? $" ({E(reason)})" : string.Empty)}</p>
            <ol id="explanation">{string.Concat(m.Decision.Explanation.Select(r => $"<li><strong>{E(r.Rule)}</strong> ({E(r.Effect)}): {E(r.Reason)}</li>"))}</ol>
            </section>
            """);

        if (m.Draft is { } draft)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <section aria-labelledby="h-draft"><h2 id="h-draft">Draft</h2>
                <p>Source: <strong id="draft-source">{E(draft.Source)}</strong>{(draft.TemplateId is { } t ? $", template <code>{E(t)}</code>" : string.Empty)}, written {Time(draft.CreatedAt)}</p>
                <div id="lint">{(draft.LintFindings.Count == 0
                    ? "<p class=\"lint-pass\">Lint: passed (no findings).</p>"
                    : $"<p class=\"lint-fail\">Lint: {draft.LintFindings.Count} finding(s).</p><ul>{string.Concat(draft.LintFindings.Select(f => $"<li>{E(f)}</li>"))}</ul>")}</div>
                <pre class="mail" id="draft-text">{E(draft.DraftText)}</pre>
                {(draft.Decision is { } d ? $"<p id=\"draft-decision\">Decision: <strong>{E(d)}</strong> by {E(draft.Approver)} {Time(draft.DecidedAt)}{(draft.EditDistance is { } ed ? $", {ed} characters changed" : string.Empty)}.</p>" : string.Empty)}
                {(draft.SentText is { } sent ? $"<h3>Sent reply</h3><pre class=\"mail\" id=\"sent-text\">{E(sent)}</pre>" : string.Empty)}
                </section>
                """);
        }

        if (m.Outline is { } outline)
        {
            html.Append(CultureInfo.InvariantCulture, $"""
                <section aria-labelledby="h-outline"><h2 id="h-outline">Outline for {E(outline.Owner)}</h2>
                <ul id="outline">{string.Concat(outline.KeyPoints.Select(k => $"<li>{E(k)}</li>"))}</ul>
                </section>
                """);
        }

        html.Append(CultureInfo.InvariantCulture, $"""
            <section aria-labelledby="h-cost"><h2 id="h-cost">Cost</h2>
            <p id="cost">{m.Cost.CostUsd.ToString("0.0000", CultureInfo.InvariantCulture)} USD, {m.Cost.TokensIn} tokens in, {m.Cost.TokensOut} tokens out, {m.Cost.Calls.Count} hosted model call(s).</p>
            </section>
            <section aria-labelledby="h-audit"><h2 id="h-audit">Audit trail</h2>
            <table id="audit"><thead><tr><th scope="col">When</th><th scope="col">Step</th><th scope="col">What</th><th scope="col">Why</th><th scope="col">Who</th></tr></thead><tbody>
            {string.Concat(m.Audit.Select(a => $"<tr><td>{Time(a.At)}</td><td>{E(a.Step)}</td><td>{E(a.What)}</td><td>{E(a.Why)}</td><td>{E(a.Actor)}</td></tr>"))}
            </tbody></table>
            </section>
            """);
        return html.ToString();
    }

    private static string Decide(MessageDetail m, Actions actions, AntiforgeryTokenSet tokens)
    {
        if (!actions.CanDecide)
        {
            return $"<section aria-labelledby=\"h-decide\" class=\"decide\"><h2 id=\"h-decide\">Decide</h2><p id=\"cannot-decide\">{E(actions.Why)}</p></section>";
        }

        var action = $"/console/messages/{m.Id}";
        var token = Token(tokens);
        return $"""
            <section aria-labelledby="h-decide" class="decide"><h2 id="h-decide">Decide</h2>
            <div class="actions">
            <form method="post" action="{action}/decision">{token}<input type="hidden" name="action" value="approve"><button type="submit" id="approve" class="primary">Approve and send the draft</button></form>
            <form method="post" action="{action}/decision">{token}<input type="hidden" name="action" value="reject"><button type="submit" id="reject">Reject (send nothing)</button></form>
            </div>
            <form method="post" action="{action}/decision" class="edit">{token}<input type="hidden" name="action" value="edit">
            <label for="edit-text">Edit the reply, then send it</label>
            <textarea id="edit-text" name="text" rows="12">{E(m.Draft?.DraftText)}</textarea>
            <button type="submit" id="send-edit">Send the edited reply</button></form>
            <form method="post" action="{action}/reassign" class="reassign">{token}
            <label for="owner">Reassign to</label>
            <select id="owner" name="owner">{string.Concat(actions.Owners.Select(o => $"<option value=\"{E(o)}\"{(o == m.Classification.Owner ? " selected" : string.Empty)}>{E(o)}</option>"))}</select>
            <button type="submit" id="reassign">Reassign</button></form>
            </section>
            """;
    }
}
