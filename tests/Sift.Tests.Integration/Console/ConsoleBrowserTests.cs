using System.Net;
using Microsoft.Playwright;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.WebConsole;

/// <summary>The review console in Debian's Chromium, against the whole host on a real port and a real database.</summary>
public sealed class ConsoleBrowserTests
{
    [Fact]
    public async Task The_local_admin_signs_in_and_the_queue_lists_waiting_mail_and_filters_by_mailbox_and_intent()
    {
        await using var session = await ConsoleSession.StartAsync();
        var support = await session.WaitingAsync("01-support.eml");
        var sales = await session.WaitingAsync("02-sales.eml", ConsoleSession.SalesMailbox);
        await session.SignInAsync();
        var page = session.Page;

        Assert.Equal(ConsoleSession.AdminUser, await page.Locator("#user-name").InnerTextAsync());
        Assert.Equal("admin", await page.Locator("#user-role").InnerTextAsync());
        Assert.Equal(2, await page.Locator("#queue tbody tr").CountAsync());
        Assert.StartsWith("2 of 2 waiting", await page.Locator("#queue-count").InnerTextAsync(), StringComparison.Ordinal);
        var row = page.Locator($"tr[data-id='{support}']");
        Assert.Contains(SiftTestHost.Mailbox, await row.InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal("on-time", await row.GetAttributeAsync("data-sla"));

        await page.GetByLabel("Mailbox").SelectOptionAsync(ConsoleSession.SalesMailbox);
        await page.GetByRole(AriaRole.Button, new() { Name = "Filter" }).ClickAsync();
        await ConsoleSession.ArrivedAsync(page, "**/console?mailbox=*");
        Assert.Equal([sales.ToString()], await page.Locator("#queue tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.id)"));

        await ConsoleSession.OpenAsync(page, "/console?intent=support");
        Assert.Equal([support.ToString()], await page.Locator("#queue tbody tr").EvaluateAllAsync<string[]>("rows => rows.map(r => r.dataset.id)"));
        await ConsoleSession.OpenAsync(page, "/console?sla=overdue");
        Assert.Equal(0, await page.Locator("#queue tbody tr").CountAsync());
        Assert.Contains("Nothing waits for review", await page.Locator("main").InnerTextAsync(), StringComparison.Ordinal);

        await ConsoleSession.OpenAsync(page, "/console");
        var png = await ConsoleSession.ScreenshotAsync(page);
        AssertRendered(png, "queue.png");
        var table = await page.Locator("#queue").BoundingBoxAsync();
        Assert.NotNull(table);
        Assert.True(table.Width > 600 && table.Height > 60, $"the queue table is {table.Width}x{table.Height}");
    }

    [Fact]
    public async Task The_message_page_shows_the_email_the_explanation_the_draft_with_its_lint_and_the_audit_trail()
    {
        await using var session = await ConsoleSession.StartAsync();
        var id = await session.WaitingAsync();
        var detail = await session.Host.GetAsync(id);
        await session.SignInAsync();
        var page = session.Page;

        await page.Locator($"tr[data-id='{id}'] a.row-link").ClickAsync();
        await ConsoleSession.ArrivedAsync(page, $"**/console/messages/{id}");
        Assert.Equal(detail.Subject, await page.Locator("#subject").InnerTextAsync());
        Assert.Contains(detail.Text.Trim().Split('\n')[0].Trim(), await page.Locator("#email-text").InnerTextAsync(), StringComparison.Ordinal);
        var explanation = await page.Locator("#explanation li").AllInnerTextsAsync();
        Assert.Equal(detail.Decision.Explanation.Count, explanation.Count);
        Assert.Contains(detail.Decision.Explanation[0].Reason, explanation[0], StringComparison.Ordinal);
        Assert.Equal(detail.Draft!.DraftText.Trim(), (await page.Locator("#draft-text").InnerTextAsync()).Trim());
        Assert.Equal(detail.Draft.Source, await page.Locator("#draft-source").InnerTextAsync());
        Assert.StartsWith("Lint:", await page.Locator("#lint").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(detail.Audit.Count, await page.Locator("#audit tbody tr").CountAsync());
        Assert.Contains("route", await page.Locator("#audit").InnerTextAsync(), StringComparison.Ordinal);
        Assert.True(await page.Locator("#approve").IsVisibleAsync());

        var png = await ConsoleSession.ScreenshotAsync(page);
        AssertRendered(png, "message.png");
        foreach (var element in new[] { "#subject", "#explanation", "#draft-text", "#audit", "#approve" })
        {
            var box = await page.Locator(element).BoundingBoxAsync();
            Assert.True(box is { Width: > 0, Height: > 0 }, $"{element} has no size on the page");
        }
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Approve_with_the_keyboard_only_sends_the_reply_and_the_page_shows_it(string engine)
    {
        await using var session = await ConsoleSession.StartAsync(engine);
        var id = await session.WaitingAsync();
        await session.SignInAsync();
        var page = session.Page;

        // j focuses the first message, Enter opens it, a focuses Approve, Enter presses it.
        await page.Keyboard.PressAsync("j");
        Assert.Equal(id.ToString(), await page.EvaluateAsync<string>("document.activeElement.closest('tr').dataset.id"));
        await page.Keyboard.PressAsync("Enter");
        await ConsoleSession.ArrivedAsync(page, $"**/console/messages/{id}");
        await page.Keyboard.PressAsync("a");
        Assert.Equal("approve", await page.EvaluateAsync<string>("document.activeElement.id"));
        await page.Keyboard.PressAsync("Enter");
        await ConsoleSession.ArrivedAsync(page, $"**/console/messages/{id}?done=approve");
        Assert.Contains("Approved", await page.Locator("#notice").InnerTextAsync(), StringComparison.Ordinal);

        await session.Host.RunWorkflowsAsync();
        var sent = await session.Host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal($"console:{ConsoleSession.AdminUser}", sent.Draft!.Approver);
        Assert.Single(Directory.GetFiles(session.Database.OutboxFolder, "*.eml"));

        await ConsoleSession.OpenAsync(page, page.Url);
        Assert.Equal("sent", await page.Locator("#status").InnerTextAsync());
        Assert.Equal(sent.Draft.SentText!.Trim(), (await page.Locator("#sent-text").InnerTextAsync()).Trim());
        Assert.Equal(0, await page.Locator("#approve").CountAsync());
    }

    [Fact]
    public async Task Edit_sends_the_edited_text()
    {
        await using var session = await ConsoleSession.StartAsync();
        var id = await session.WaitingAsync();
        await session.SignInAsync();
        var page = session.Page;
        await ConsoleSession.OpenAsync(page, $"/console/messages/{id}");

        const string Edited = "Hello,\n\nThank you for writing. We have reset the account and you can sign in again.\n\nContoso Support";
        await page.Keyboard.PressAsync("e");
        Assert.Equal("edit-text", await page.EvaluateAsync<string>("document.activeElement.id"));
        await page.GetByLabel("Edit the reply, then send it").FillAsync(Edited);
        await page.GetByRole(AriaRole.Button, new() { Name = "Send the edited reply" }).ClickAsync();
        await ConsoleSession.ArrivedAsync(page, $"**/console/messages/{id}?done=edit");

        await session.Host.RunWorkflowsAsync();
        var sent = await session.Host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("edit", sent.Draft!.Decision);
        Assert.Equal(Edited, sent.Draft.SentText);
        var eml = await File.ReadAllTextAsync(Assert.Single(Directory.GetFiles(session.Database.OutboxFolder, "*.eml")));
        Assert.Contains("We have reset the account and you can sign in again.", eml, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_viewer_sees_the_review_but_cannot_approve_it_even_with_a_forged_form()
    {
        await using var session = await ConsoleSession.StartAsync();
        var id = await session.WaitingAsync();
        await session.SignInAsync(ConsoleSession.Viewer);
        var page = session.Page;
        await ConsoleSession.OpenAsync(page, $"/console/messages/{id}");

        Assert.Equal("viewer", await page.Locator("#user-role").InnerTextAsync());
        Assert.Equal(0, await page.Locator("#approve").CountAsync());
        Assert.Contains("viewer role", await page.Locator("#cannot-decide").InnerTextAsync(), StringComparison.Ordinal);

        var status = await PostWithPageTokenAsync(page, $"/console/messages/{id}/decision", "approve");
        Assert.Equal(403, status);
        Assert.Contains("Nothing was changed", await page.Locator("#notice").InnerTextAsync(), StringComparison.Ordinal);
        await session.Host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.AwaitingReview, (await session.Host.GetAsync(id)).Status);
    }

    [Fact]
    public async Task An_approver_decides_only_the_mailboxes_they_are_allowed()
    {
        await using var session = await ConsoleSession.StartAsync();
        var support = await session.WaitingAsync();
        var sales = await session.WaitingAsync("02-sales.eml", ConsoleSession.SalesMailbox);
        await session.SignInAsync(ConsoleSession.SalesApprover);
        var page = session.Page;

        await ConsoleSession.OpenAsync(page, $"/console/messages/{support}");
        Assert.Equal(0, await page.Locator("#approve").CountAsync());
        Assert.Contains(SiftTestHost.Mailbox, await page.Locator("#cannot-decide").InnerTextAsync(), StringComparison.Ordinal);
        Assert.Equal(403, await PostWithPageTokenAsync(page, $"/console/messages/{support}/decision", "approve"));
        Assert.Contains($"You may not decide mail of the mailbox {SiftTestHost.Mailbox}", await page.Locator("#notice").InnerTextAsync(), StringComparison.Ordinal);

        await ConsoleSession.OpenAsync(page, $"/console/messages/{sales}");
        await page.Locator("#reject").ClickAsync();
        await ConsoleSession.ArrivedAsync(page, $"**/console/messages/{sales}?done=reject");
        await session.Host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Rejected, (await session.Host.GetAsync(sales)).Status);
        Assert.Equal(MessageStatus.AwaitingReview, (await session.Host.GetAsync(support)).Status);
    }

    [Fact]
    public async Task A_decision_on_a_message_no_longer_waiting_is_refused_with_a_clear_message()
    {
        await using var session = await ConsoleSession.StartAsync();
        var id = await session.WaitingAsync();
        await session.SignInAsync();
        var page = session.Page;
        await ConsoleSession.OpenAsync(page, $"/console/messages/{id}");

        // Someone else decides through the API while the page is open.
        using (var decided = await session.Host.DecideAsync(id, "reject"))
        {
            Assert.Equal(HttpStatusCode.Accepted, decided.StatusCode);
        }

        await session.Host.RunWorkflowsAsync();
        var response = await page.RunAndWaitForResponseAsync(() => page.Locator("#approve").ClickAsync(), r => r.Request.Method == "POST");
        Assert.Equal(409, response.Status);
        await page.Locator("#notice").WaitForAsync();
        var notice = await page.Locator("#notice").InnerTextAsync();
        Assert.Contains("Nothing was changed", notice, StringComparison.Ordinal);
        Assert.Contains("already recorded", notice, StringComparison.Ordinal);
        Assert.Equal("rejected", await page.Locator("#status").InnerTextAsync());
        Assert.False(Directory.Exists(session.Database.OutboxFolder) && Directory.GetFiles(session.Database.OutboxFolder, "*.eml").Length > 0, "a rejected review sent a reply");
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Reassign_changes_the_owner_and_records_who_moved_it(string engine)
    {
        await using var session = await ConsoleSession.StartAsync(engine);
        var id = await session.WaitingAsync();
        await session.SignInAsync(ConsoleSession.SupportApprover);
        var page = session.Page;
        await ConsoleSession.OpenAsync(page, $"/console/messages/{id}");

        await page.Keyboard.PressAsync("o");
        await page.GetByLabel("Reassign to").SelectOptionAsync("support-lead");
        await page.GetByRole(AriaRole.Button, new() { Name = "Reassign" }).ClickAsync();
        await ConsoleSession.ArrivedAsync(page, $"**/console/messages/{id}?done=reassign");
        Assert.Equal("support-lead", await page.Locator("#owner-now").InnerTextAsync());
        var detail = await session.Host.GetAsync(id);
        Assert.Equal("support-lead", detail.Classification.Owner);
        Assert.Equal(MessageStatus.AwaitingReview, detail.Status);
        var audit = Assert.Single(detail.Audit, a => a.Step == "reassign");
        Assert.Equal($"console:{ConsoleSession.SupportApprover}", audit.Actor);
        Assert.Equal("reassigned from support-team to support-lead", audit.What);

        // The decision resumes the workflow, which replays its routing: the owner stays the one it was moved to.
        await page.Locator("#approve").ClickAsync();
        await ConsoleSession.ArrivedAsync(page, $"**/console/messages/{id}?done=approve");
        await session.Host.RunWorkflowsAsync();
        var sent = await session.Host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, sent.Status);
        Assert.Equal("support-lead", sent.Classification.Owner);
        await ConsoleSession.OpenAsync(page, page.Url);
        Assert.Equal("support-lead", await page.Locator("#owner-now").InnerTextAsync());
    }

    /// <summary>Submits a form the page does not offer, with the page's own antiforgery token (the sign-out form's).</summary>
    private static async Task<int> PostWithPageTokenAsync(IPage page, string action, string decision)
    {
        var response = await page.RunAndWaitForResponseAsync(() => page.EvaluateAsync(
            """
            ([action, decision]) => {
              const form = document.createElement('form');
              form.method = 'post';
              form.action = action;
              const token = document.querySelector('#logout-form input[name=__RequestVerificationToken]').cloneNode();
              const field = document.createElement('input');
              field.name = 'action';
              field.value = decision;
              form.append(token, field);
              document.body.append(form);
              form.submit();
            }
            """,
            new[] { action, decision }), r => r.Request.Method == "POST");
        await ConsoleSession.ArrivedAsync(page, "**" + action);
        return response.Status;
    }

    /// <summary>Checks a screenshot is a real render; with <c>SIFT_TEST_SCREENSHOTS</c> set, keeps it there for a person (or CI) to look at.</summary>
    private static void AssertRendered(byte[] png, string name)
    {
        if (Environment.GetEnvironmentVariable("SIFT_TEST_SCREENSHOTS") is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            File.WriteAllBytes(Path.Combine(folder, name), png);
        }

        var image = PngCheck.Read(png);
        Assert.Equal(1280, image.Width);
        Assert.True(image.Height >= 400, $"the screenshot is only {image.Height} px high");
        Assert.True(png.Length > 10_000, $"the screenshot is only {png.Length} bytes");
        Assert.True(image.DistinctColours > 20, $"the screenshot has {image.DistinctColours} colours: the page did not render");
    }
}
