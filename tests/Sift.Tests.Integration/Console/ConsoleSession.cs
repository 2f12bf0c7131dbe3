using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Playwright;
using Sift.Security;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.WebConsole;

/// <summary>
/// Sift on a real loopback port (Kestrel, not the in-memory test server) and Debian's Chromium driven by Playwright,
/// with local accounts: the admin, a viewer, an approver of the support mailbox and an approver of the sales mailbox.
/// </summary>
public sealed class ConsoleSession : IAsyncDisposable
{
    public const string AdminUser = "admin";
    public const string Password = "correct horse battery staple";
    public const string Viewer = "vera";
    public const string SupportApprover = "alice";
    public const string SalesApprover = "otto";
    public const string SalesMailbox = "sales@contoso.example";

    private readonly IPlaywright _playwright;
    private readonly IBrowser _browser;

    private ConsoleSession(TestDatabase database, SiftTestHost host, Uri baseAddress, IPlaywright playwright, IBrowser browser, IPage page)
    {
        Database = database;
        Host = host;
        BaseAddress = baseAddress;
        _playwright = playwright;
        _browser = browser;
        Page = page;
    }

    public TestDatabase Database { get; }

    public SiftTestHost Host { get; }

    public Uri BaseAddress { get; }

    public IPage Page { get; }

    /// <summary>Debian's Chromium: <c>SIFT_TEST_CHROMIUM</c> (set by test.sh) or /usr/bin/chromium. Missing: a skip, or a failure under CI.</summary>
    public static string ChromiumPath()
    {
        var path = Environment.GetEnvironmentVariable("SIFT_TEST_CHROMIUM");
        if (string.IsNullOrEmpty(path))
        {
            path = "/usr/bin/chromium";
        }

        if (File.Exists(path))
        {
            return path;
        }

        var message = $"Chromium is not available at {path}: install Debian's chromium (./test.sh does) or set SIFT_TEST_CHROMIUM.";
        if (Environment.GetEnvironmentVariable("CI") is "true" or "1")
        {
            Assert.Fail(message);
        }

        Assert.Skip(message);
        return path;
    }

    public static Dictionary<string, string?> Accounts()
    {
        // Few iterations: the tests sign in often, and the cost factor is not what they test.
        var hash = LocalPasswords.Hash(Password, iterations: 1_000);
        return new()
        {
            ["Sift:Console:LocalAdmin:User"] = AdminUser,
            ["Sift:Console:LocalAdmin:PasswordHash"] = hash,
            [$"Sift:Console:Users:{Viewer}:Role"] = SiftRoles.Viewer,
            [$"Sift:Console:Users:{Viewer}:PasswordHash"] = hash,
            [$"Sift:Console:Users:{SupportApprover}:Role"] = SiftRoles.Approver,
            [$"Sift:Console:Users:{SupportApprover}:PasswordHash"] = hash,
            [$"Sift:Console:Users:{SalesApprover}:Role"] = SiftRoles.Approver,
            [$"Sift:Console:Users:{SalesApprover}:PasswordHash"] = hash,
            [$"Sift:Access:Mailboxes:{SupportApprover}:0"] = SiftTestHost.Mailbox,
            [$"Sift:Access:Mailboxes:{SalesApprover}:0"] = SalesMailbox,
        };
    }

    public static async Task<ConsoleSession> StartAsync(string engine = TestDatabase.Sqlite)
    {
        var chromium = ChromiumPath();
        var database = await TestDatabase.CreateAsync(engine);
        var host = new SiftTestHost(database, Accounts());
        host.UseKestrel(kestrel => kestrel.Listen(System.Net.IPAddress.Loopback, 0));
        host.StartServer();
        var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .Select(a => new Uri(a.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal)))
            .First();
        var playwright = await Playwright.CreateAsync();
        var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = chromium, Headless = true, Args = ["--no-sandbox"] });
        var context = await browser.NewContextAsync(new() { BaseURL = address.ToString().TrimEnd('/'), ViewportSize = new() { Width = 1280, Height = 900 } });
        var page = await context.NewPageAsync();
        // A hang guard, not a speed check: in CI these pages share two cores with the other test classes running in
        // parallel, and a page has been seen to take more than 15 s there.
        page.SetDefaultTimeout(60_000);
        return new ConsoleSession(database, host, address, playwright, browser, page);
    }

    /// <summary>Signs in through the login form, as a person would.</summary>
    public async Task SignInAsync(string user = AdminUser, string password = Password)
    {
        await OpenAsync(Page, "/console");
        Assert.EndsWith("/console/login?ReturnUrl=%2Fconsole", Page.Url, StringComparison.Ordinal);
        await Page.GetByLabel("User name").FillAsync(user);
        await Page.GetByLabel("Password").FillAsync(password);
        await Page.GetByRole(AriaRole.Button, new() { Name = "Sign in" }).ClickAsync();
        await ArrivedAsync(Page, "**/console");
    }

    /// <summary>Opens <paramref name="url"/> and waits for its content (see <see cref="ArrivedAsync"/> for why not the load event).</summary>
    public static async Task OpenAsync(IPage page, string url)
    {
        await page.GotoAsync(url, new() { WaitUntil = WaitUntilState.Commit });
        await page.Locator("main").WaitForAsync();
    }

    /// <summary>A full-page screenshot once the page's stylesheet has been applied.</summary>
    public static async Task<byte[]> ScreenshotAsync(IPage page)
    {
        await page.WaitForFunctionAsync("() => document.readyState !== 'loading' && [...document.styleSheets].some(s => s.cssRules.length > 0)");
        return await page.ScreenshotAsync(new() { FullPage = true });
    }

    /// <summary>
    /// Waits until the document's own address is <paramref name="url"/> (a leading <c>**</c> is ignored; a trailing
    /// <c>*</c> matches any rest) and its content is there. It asks the page itself rather than Playwright's record of
    /// navigations and load events: with this Chromium those are now and then never reported, and a wait on them hangs
    /// though the page is complete.
    /// </summary>
    public static async Task ArrivedAsync(IPage page, string url)
    {
        var expected = url.StartsWith("**", StringComparison.Ordinal) ? url[2..] : url;
        var prefix = expected.EndsWith('*');
        await page.WaitForFunctionAsync(
            "([expected, prefix]) => { const here = location.pathname + location.search; return (prefix ? here.startsWith(expected) : here === expected) && document.querySelector('main') !== null; }",
            new object[] { expected.TrimEnd('*'), prefix });
    }

    /// <summary>Ingests a demo message and runs its workflow to the review wait.</summary>
    public async Task<Guid> WaitingAsync(string sample = "01-support.eml", string mailbox = SiftTestHost.Mailbox)
    {
        var id = await Host.IngestAsync(TestMail.Sample(sample), mailbox);
        await Host.RunWorkflowsAsync();
        Assert.Equal(Sift.Storage.MessageStatus.AwaitingReview, (await Host.GetAsync(id)).Status);
        return id;
    }

    public async ValueTask DisposeAsync()
    {
        await _browser.DisposeAsync();
        _playwright.Dispose();
        await Host.DisposeAsync();
        await Database.DisposeAsync();
    }
}
