using System.Net;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sift.Approvals.Teams;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;
using Sift.Tests.Integration.WebConsole;

namespace Sift.Tests.Integration.Approvals.Teams;

/// <summary>
/// Reviews in Teams through the whole host: the Adaptive Card posted to the owner's Workflows webhook, its signed links
/// to Sift's approval pages (GET shows, POST acts), and every refusal: expired, reused, tampered, unknown, already decided.
/// </summary>
public sealed partial class TeamsApprovalTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_review_card_links_to_a_confirmation_page_that_changes_nothing_and_its_post_approves_once(string engine)
    {
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, teams.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();

        var waiting = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, waiting.Status);
        var envelope = Assert.Single(teams.Cards);
        Assert.Equal("message", (string?)envelope["type"]);
        Assert.Equal("application/vnd.microsoft.card.adaptive", (string?)envelope["attachments"]![0]!["contentType"]);
        Assert.Equal("AdaptiveCard", (string?)FakeTeamsWebhook.Card(envelope)["type"]);
        Assert.Equal(waiting.Draft!.DraftText, FakeTeamsWebhook.Text(envelope, "draft"));
        Assert.Contains(waiting.Decision.Explanation[0].Reason, FakeTeamsWebhook.Text(envelope, "why"), StringComparison.Ordinal);
        Assert.False(string.IsNullOrWhiteSpace(FakeTeamsWebhook.Text(envelope, "lint")));
        var buttons = FakeTeamsWebhook.Buttons(envelope);
        Assert.Equal(["Approve", "Edit", "Reject"], buttons.Keys);
        Assert.All(FakeTeamsWebhook.Card(envelope)["actions"]!.AsArray(), a => Assert.Equal("Action.OpenUrl", (string?)a!["type"]));
        var key = Encoding.UTF8.GetBytes(FakeTeamsWebhook.SigningKey);
        foreach (var (title, url) in buttons)
        {
            Assert.StartsWith("http://localhost/approvals/", url.AbsoluteUri, StringComparison.Ordinal);
            var link = ApprovalLinkToken.Verify(Token(url), key, TimeProvider.System.GetUtcNow());
            Assert.Equal(LinkCheck.Valid, link.Check);
            Assert.Equal(id, link.Link!.MessageId);
            Assert.Equal(title.ToLowerInvariant(), link.Link.Action);
        }

        Assert.Contains(waiting.Audit, a => a.Step == "teams-post" && a.What == "review card posted to Teams");

        // A link scanner (or the reviewer) opening the link: a page, and nothing else.
        var client = host.CreateClient();
        var auditBefore = waiting.Audit.Count;
        var page = await GetAsync(client, buttons["Approve"]);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains(WebUtility.HtmlEncode(waiting.Subject), page.Html, StringComparison.Ordinal);
        Assert.Contains(WebUtility.HtmlEncode(waiting.Draft.DraftText), page.Html, StringComparison.Ordinal);
        Assert.Contains("name=\"by\"", page.Html, StringComparison.Ordinal);
        await host.RunWorkflowsAsync();
        var after = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, after.Status);
        Assert.Equal("waiting", after.Workflow.State);
        Assert.Equal(auditBefore, after.Audit.Count);
        Assert.Null((await Links(host).FindAsync(Nonce(buttons["Approve"]), CancellationToken.None))!.UsedAt);
        Assert.False(Directory.Exists(database.OutboxFolder) && Directory.GetFiles(database.OutboxFolder, "*.eml").Length > 0);

        var approved = await PostAsync(client, buttons["Approve"], page.Html, new() { ["by"] = "Dana Reviewer" });
        Assert.Equal(HttpStatusCode.OK, approved.Status);
        Assert.Contains("Approved by Dana Reviewer", approved.Html, StringComparison.Ordinal);

        await host.RunWorkflowsAsync();
        var sent = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("teams-link:Dana Reviewer (support-team)", sent.Draft!.Approver);
        Assert.Equal("approve", sent.Draft.Decision);
        Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
        var used = await Links(host).FindAsync(Nonce(buttons["Approve"]), CancellationToken.None);
        Assert.Equal("teams-link:Dana Reviewer (support-team)", used!.UsedBy);

        // The follow-up card: a Workflows post cannot be updated, so the decision is a new card.
        Assert.Equal(2, teams.Cards.Count);
        Assert.StartsWith("Approved by teams-link:Dana Reviewer (support-team) at ", FakeTeamsWebhook.Text(teams.Cards.Last(), "outcome"), StringComparison.Ordinal);

        // The same link again (a second tab, a back button): 410, and nothing changes.
        var again = await PostAsync(client, buttons["Approve"], page.Html, new() { ["by"] = "Someone Else" });
        Assert.Equal(HttpStatusCode.Gone, again.Status);
        Assert.Contains("already used", again.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Gone, (await GetAsync(client, buttons["Approve"])).Status);

        // Another action's link after the decision: 409, the message no longer waits.
        var reject = await GetAsync(client, buttons["Reject"]);
        Assert.Equal(HttpStatusCode.Conflict, reject.Status);
        Assert.Contains("A review decision was already recorded", reject.Html, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.Conflict, (await PostAsync(client, buttons["Reject"], page.Html, new() { ["by"] = "Someone Else" })).Status);

        await host.RunWorkflowsAsync();
        var final = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, final.Status);
        Assert.Equal("teams-link:Dana Reviewer (support-team)", final.Draft!.Approver);
        Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
        Assert.Null((await Links(host).FindAsync(Nonce(buttons["Reject"]), CancellationToken.None))!.UsedAt);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task The_edit_page_is_prefilled_with_the_draft_and_its_post_sends_the_edited_text(string engine)
    {
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, teams.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var waiting = await host.GetAsync(id);
        var edit = FakeTeamsWebhook.Buttons(Assert.Single(teams.Cards))["Edit"];
        var client = host.CreateClient();

        var page = await GetAsync(client, edit);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.Contains($"<textarea id=\"text\" name=\"text\" rows=\"16\" required>{WebUtility.HtmlEncode(waiting.Draft!.DraftText)}</textarea>", page.Html, StringComparison.Ordinal);

        var empty = await PostAsync(client, edit, page.Html, new() { ["by"] = "dana@contoso.example", ["text"] = "   " });
        Assert.Equal(HttpStatusCode.BadRequest, empty.Status);
        Assert.Contains("<code>text</code>", empty.Html, StringComparison.Ordinal);
        var nobody = await PostAsync(client, edit, page.Html, new() { ["text"] = "Hello" });
        Assert.Equal(HttpStatusCode.BadRequest, nobody.Status);
        Assert.Contains("<code>by</code>", nobody.Html, StringComparison.Ordinal);

        const string edited = "Hello Lena,\n\nThanks for writing. We have reset your access; please try again.\n\nContoso Support";
        var done = await PostAsync(client, edit, page.Html, new() { ["by"] = "dana@contoso.example", ["text"] = edited.Replace("\n", "\r\n", StringComparison.Ordinal) });
        Assert.Equal(HttpStatusCode.OK, done.Status);

        await host.RunWorkflowsAsync();
        var sent = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("edit", sent.Draft!.Decision);
        Assert.Equal(edited, sent.Draft.SentText);
        Assert.Equal("teams-link:dana@contoso.example (support-team)", sent.Draft.Approver);
        var eml = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml")));
        Assert.Contains("We have reset your access", eml, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task The_same_link_posted_twice_at_once_decides_once(string engine)
    {
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, teams.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var reject = FakeTeamsWebhook.Buttons(Assert.Single(teams.Cards))["Reject"];
        var client = host.CreateClient();
        var page = await GetAsync(client, reject);

        var answers = await Task.WhenAll(
            PostAsync(client, reject, page.Html, new() { ["by"] = "First" }),
            PostAsync(client, reject, page.Html, new() { ["by"] = "Second" }));

        Assert.Single(answers, a => a.Status == HttpStatusCode.OK);
        Assert.Single(answers, a => a.Status is HttpStatusCode.Gone or HttpStatusCode.Conflict);
        await host.RunWorkflowsAsync();
        var rejected = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Rejected, rejected.Status);
        var used = await Links(host).FindAsync(Nonce(reject), CancellationToken.None);
        Assert.Equal(rejected.Draft!.Approver, used!.UsedBy);
        Assert.Single(rejected.Audit, a => a.Step == "event:review");
    }

    [Fact]
    public async Task An_expired_link_is_gone_and_decides_nothing()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, teams.Settings(), s => s.AddSingleton<TimeProvider>(time));
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var approve = FakeTeamsWebhook.Buttons(Assert.Single(teams.Cards))["Approve"];
        var client = host.CreateClient();
        var page = await GetAsync(client, approve);
        Assert.Equal(HttpStatusCode.OK, page.Status);

        var expiry = ApprovalLinkToken.Verify(Token(approve), Encoding.UTF8.GetBytes(FakeTeamsWebhook.SigningKey), time.GetUtcNow()).Link!.ExpiresAt;
        time.Advance(expiry - time.GetUtcNow());

        var expired = await GetAsync(client, approve);
        Assert.Equal(HttpStatusCode.Gone, expired.Status);
        Assert.Contains("expired", expired.Html, StringComparison.Ordinal);
        var posted = await PostAsync(client, approve, page.Html, new() { ["by"] = "Dana" });
        Assert.Equal(HttpStatusCode.Gone, posted.Status);
        Assert.Equal(MessageStatus.AwaitingReview, (await host.GetAsync(id)).Status);
        Assert.Null((await Links(host).FindAsync(Nonce(approve), CancellationToken.None))!.UsedAt);
    }

    [Fact]
    public async Task A_missed_deadline_posts_the_card_again_in_the_fallback_owners_channel_and_its_links_decide()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, teams.Settings(), s => s.AddSingleton<TimeProvider>(time));
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        Assert.Equal(["support"], teams.CardFlows);

        time.Advance(TimeSpan.FromMinutes(241));
        Assert.Equal(1, await host.RunWorkflowsAsync());

        Assert.Equal(["support", "lead"], teams.CardFlows);
        var escalated = teams.Cards.Last();
        var title = (string)FakeTeamsWebhook.Card(escalated)["body"]![0]!["text"]!;
        Assert.Contains("escalated to support-lead", title, StringComparison.Ordinal);
        Assert.StartsWith("Owner: support-lead", FakeTeamsWebhook.Text(escalated, "owner"), StringComparison.Ordinal);

        var client = host.CreateClient();
        var approve = FakeTeamsWebhook.Buttons(escalated)["Approve"];
        var page = await GetAsync(client, approve);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, approve, page.Html, new() { ["by"] = "Lee Lead" })).Status);
        await host.RunWorkflowsAsync();
        var sent = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("teams-link:Lee Lead (support-lead)", sent.Draft!.Approver);
    }

    [Fact]
    public async Task A_tampered_or_unknown_link_or_a_post_without_the_forms_token_is_refused_and_decides_nothing()
    {
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, teams.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var approve = FakeTeamsWebhook.Buttons(Assert.Single(teams.Cards))["Approve"];
        var client = host.CreateClient();
        var token = Token(approve);

        // The payload re-signed with a guessed key, and a signature cut short: both are not Sift's.
        var link = ApprovalLinkToken.Verify(token, Encoding.UTF8.GetBytes(FakeTeamsWebhook.SigningKey), TimeProvider.System.GetUtcNow()).Link!;
        var forged = ApprovalLinkToken.Sign(link with { Action = ApprovalLinkToken.Reject }, Encoding.UTF8.GetBytes("a-guessed-key-that-is-32-bytes-long!!"));
        foreach (var bad in new[] { forged, token[..^3], "garbage" })
        {
            var refused = await GetAsync(client, new Uri($"http://localhost/approvals/{bad}"));
            Assert.Equal(HttpStatusCode.BadRequest, refused.Status);
            Assert.Contains("not valid", refused.Html, StringComparison.Ordinal);
            using var post = await client.PostAsync(new Uri($"/approvals/{bad}", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["by"] = "x" }));
            Assert.Equal(HttpStatusCode.BadRequest, post.StatusCode);
        }

        // Correctly signed, but never issued (a nonce Sift has no row for): unknown.
        var unknown = ApprovalLinkToken.Sign(link with { Nonce = ApprovalLinkToken.NewNonce() }, Encoding.UTF8.GetBytes(FakeTeamsWebhook.SigningKey));
        Assert.Equal(HttpStatusCode.NotFound, (await GetAsync(client, new Uri($"http://localhost/approvals/{unknown}"))).Status);

        // A genuine link posted without the page's anti-forgery token (a cross-site form): refused.
        using (var noToken = await client.PostAsync(new Uri(approve.PathAndQuery, UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["by"] = "x" })))
        {
            Assert.Equal(HttpStatusCode.BadRequest, noToken.StatusCode);
            Assert.Contains("__RequestVerificationToken", await noToken.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.AwaitingReview, (await host.GetAsync(id)).Status);
        Assert.Null((await Links(host).FindAsync(link.Nonce, CancellationToken.None))!.UsedAt);
    }

    [Fact]
    public async Task A_webhook_500_is_retried_by_the_workflow_and_the_card_is_posted_once()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, teams.Settings(), s => s.AddSingleton<TimeProvider>(time));

        teams.Script(500);
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var retrying = await host.GetAsync(id);
        Assert.Equal("queued", retrying.Workflow.State);
        Assert.Contains("HTTP 500", retrying.Workflow.LastError, StringComparison.Ordinal);
        Assert.Empty(teams.Cards);

        time.Advance(TimeSpan.FromMinutes(1));
        await host.RunWorkflowsAsync();
        Assert.Equal("waiting", (await host.GetAsync(id)).Workflow.State);
        Assert.Equal(2, teams.Attempts.Count);
        var card = Assert.Single(teams.Cards);

        // The links of the card that arrived work.
        var client = host.CreateClient();
        var approve = FakeTeamsWebhook.Buttons(card)["Approve"];
        var page = await GetAsync(client, approve);
        Assert.Equal(HttpStatusCode.OK, (await PostAsync(client, approve, page.Html, new() { ["by"] = "Dana" })).Status);
        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Sent, (await host.GetAsync(id)).Status);
    }

    [Fact]
    public async Task A_webhook_429_is_retried_no_sooner_than_its_retry_after()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 8, 0, 0, TimeSpan.Zero));
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, teams.Settings(), s => s.AddSingleton<TimeProvider>(time));

        teams.Script(429, retryAfter: "120");
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        Assert.Contains("retry after 120 s", (await host.GetAsync(id)).Workflow.LastError, StringComparison.Ordinal);

        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, await host.RunWorkflowsAsync());
        Assert.Empty(teams.Cards);

        time.Advance(TimeSpan.FromSeconds(61));
        Assert.Equal(1, await host.RunWorkflowsAsync());
        Assert.Single(teams.Cards);
        Assert.Equal("waiting", (await host.GetAsync(id)).Workflow.State);
    }

    [Fact]
    public async Task A_webhook_that_refuses_the_card_is_audited_and_the_review_goes_on_in_the_api()
    {
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, teams.Settings());

        teams.Script(404);
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var waiting = await host.GetAsync(id);
        Assert.Equal("waiting", waiting.Workflow.State);
        Assert.Contains(waiting.Audit, a => a.Step == "teams-post" && a.What.Contains("not posted", StringComparison.Ordinal) && a.Why!.Contains("HTTP 404", StringComparison.Ordinal));
        Assert.DoesNotContain(waiting.Audit, a => a.Why?.Contains("sig=", StringComparison.Ordinal) == true);
        Assert.Single(teams.Attempts);

        using (var decided = await host.DecideAsync(id, "approve"))
        {
            Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Sent, (await host.GetAsync(id)).Status);
        Assert.Single(teams.Attempts); // no follow-up card to a webhook that refused the review card
    }

    [Fact]
    public async Task A_partial_teams_configuration_stops_the_host_naming_the_missing_key()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?>
        {
            ["Sift:Teams:DefaultWebhookUrl"] = "https://example.test/workflows/1?sig=x",
            ["Sift:Teams:PublicBaseUrl"] = "https://sift.contoso.example/",
        });
        var error = Assert.ThrowsAny<Exception>(() => host.Services);
        Assert.Contains("Sift:Teams:LinkSigningKey is missing", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task With_sign_in_required_a_link_acts_only_for_a_signed_in_approver_of_the_messages_mailbox()
    {
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var settings = teams.Settings();
        foreach (var (key, value) in ConsoleSession.Accounts())
        {
            settings[key] = value;
        }

        settings["Sift:Teams:RequireSignIn"] = "true";
        await using var host = new SiftTestHost(database, settings);
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        var approve = FakeTeamsWebhook.Buttons(Assert.Single(teams.Cards))["Approve"];

        // Nobody signed in: the page says to sign in and links to the login, which comes back here.
        var anonymous = await GetAsync(host.CreateClient(), approve);
        Assert.Equal(HttpStatusCode.Unauthorized, anonymous.Status);
        Assert.Contains($"/console/login?returnUrl={Uri.EscapeDataString(approve.AbsolutePath)}", anonymous.Html, StringComparison.Ordinal);
        Assert.DoesNotContain("__RequestVerificationToken", anonymous.Html, StringComparison.Ordinal);

        // An approver of another mailbox: refused, on the page and on a post.
        var sales = host.CreateClient();
        var refused = await SignInAsync(sales, ConsoleSession.SalesApprover, approve.AbsolutePath);
        Assert.Equal(HttpStatusCode.Forbidden, refused.Status);
        Assert.Contains("may not decide mail of the mailbox", refused.Html, StringComparison.Ordinal);

        // An approver of this mailbox: the login brings them back to the page, whose post decides in their name.
        var alice = host.CreateClient();
        var page = await SignInAsync(alice, ConsoleSession.SupportApprover, approve.AbsolutePath);
        Assert.Equal(HttpStatusCode.OK, page.Status);
        Assert.DoesNotContain("name=\"by\"", page.Html, StringComparison.Ordinal);
        var forbiddenPost = await PostAsync(sales, approve, page.Html, new() { ["by"] = "otto" });
        Assert.Equal(HttpStatusCode.Forbidden, forbiddenPost.Status);
        Assert.Equal(MessageStatus.AwaitingReview, (await host.GetAsync(id)).Status);

        var done = await PostAsync(alice, approve, page.Html, new() { ["by"] = "someone else" });
        Assert.Equal(HttpStatusCode.OK, done.Status);
        await host.RunWorkflowsAsync();
        var sent = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal($"teams-link:{ConsoleSession.SupportApprover} (support-team)", sent.Draft!.Approver);

        // The used link tells who used it only to a signed-in approver of the mailbox; to others it says no more than before.
        var stranger = await GetAsync(host.CreateClient(), approve);
        Assert.Equal(HttpStatusCode.Unauthorized, stranger.Status);
        Assert.DoesNotContain(ConsoleSession.SupportApprover, stranger.Html, StringComparison.Ordinal);
        Assert.DoesNotContain(sent.Subject, stranger.Html, StringComparison.Ordinal);
        var otherMailbox = await GetAsync(sales, approve);
        Assert.Equal(HttpStatusCode.Forbidden, otherMailbox.Status);
        Assert.DoesNotContain(ConsoleSession.SupportApprover, otherMailbox.Html, StringComparison.Ordinal);
        var used = await GetAsync(alice, approve);
        Assert.Equal(HttpStatusCode.Gone, used.Status);
        Assert.Contains(ConsoleSession.SupportApprover, used.Html, StringComparison.Ordinal);
    }

    /// <summary>Signs in through the console's login form with a return address, following the redirect back as a browser would.</summary>
    private static async Task<(HttpStatusCode Status, string Html)> SignInAsync(HttpClient client, string user, string returnUrl)
    {
        var login = await client.GetStringAsync(new Uri($"/console/login?returnUrl={Uri.EscapeDataString(returnUrl)}", UriKind.Relative));
        var fields = new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = WebUtility.HtmlDecode(AntiforgeryField().Match(login).Groups[1].Value),
            ["user"] = user,
            ["password"] = ConsoleSession.Password,
            ["returnUrl"] = returnUrl,
        };
        using var response = await client.PostAsync(new Uri("/console/login", UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.Equal(returnUrl, response.RequestMessage!.RequestUri!.AbsolutePath);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    private static ApprovalLinks Links(SiftTestHost host) => host.Services.GetRequiredService<ApprovalLinks>();

    private static string Token(Uri url) => url.AbsolutePath["/approvals/".Length..];

    private static string Nonce(Uri url) =>
        ApprovalLinkToken.Verify(Token(url), Encoding.UTF8.GetBytes(FakeTeamsWebhook.SigningKey), DateTimeOffset.MinValue.AddYears(2000)).Link!.Nonce;

    private static async Task<(HttpStatusCode Status, string Html)> GetAsync(HttpClient client, Uri url)
    {
        using var response = await client.GetAsync(new Uri(url.PathAndQuery, UriKind.Relative));
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("no-referrer", response.Headers.GetValues("Referrer-Policy").Single());
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Posts the confirmation form as a browser would: with the anti-forgery token from the page (its cookie rides in the client).</summary>
    private static async Task<(HttpStatusCode Status, string Html)> PostAsync(HttpClient client, Uri url, string pageHtml, Dictionary<string, string> fields)
    {
        var token = AntiforgeryField().Match(pageHtml);
        Assert.True(token.Success, "the page has no anti-forgery field");
        fields["__RequestVerificationToken"] = WebUtility.HtmlDecode(token.Groups[1].Value);
        using var response = await client.PostAsync(new Uri(url.PathAndQuery, UriKind.Relative), new FormUrlEncodedContent(fields));
        Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
