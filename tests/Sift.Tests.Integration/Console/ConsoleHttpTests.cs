using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sift.Security;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.WebConsole;

/// <summary>The console's sign-in and form protections over plain HTTP (no browser): what a script or an attacker would try.</summary>
public sealed partial class ConsoleHttpTests
{
    [Fact]
    public async Task The_console_requires_sign_in_and_with_no_account_configured_explains_the_first_run_step()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        using var queue = await client.GetAsync(new Uri("/console", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, queue.StatusCode);
        Assert.Equal("/console/login", queue.Headers.Location!.AbsolutePath);

        var login = await client.GetStringAsync(new Uri("/console/login", UriKind.Relative));
        Assert.Contains("id=\"first-run\"", login, StringComparison.Ordinal);
        Assert.Contains("SIFT_ADMIN_PASSWORD", login, StringComparison.Ordinal);
        Assert.DoesNotContain("id=\"password\"", login, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_first_run_password_from_the_environment_signs_in_the_admin_and_a_wrong_one_is_refused()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["SIFT_ADMIN_PASSWORD"] = "first run password 1" });
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        var (wrong, html) = await SignInAsync(client, "admin", "first run password 2");
        Assert.Equal(HttpStatusCode.Unauthorized, wrong);
        Assert.Contains("The user name or the password is wrong.", html, StringComparison.Ordinal);

        var (ok, _) = await SignInAsync(client, "admin", "first run password 1");
        Assert.Equal(HttpStatusCode.Redirect, ok);
        using var queue = await client.GetAsync(new Uri("/console", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, queue.StatusCode);
    }

    [Fact]
    public async Task A_post_without_the_antiforgery_token_changes_nothing_and_the_api_key_still_guards_the_api()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var settings = ConsoleSession.Accounts();
        settings["Sift:ApiKey"] = "machine-key-for-tests";
        await using var host = new SiftTestHost(database, settings);
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var (signedIn, _) = await SignInAsync(client, ConsoleSession.AdminUser, ConsoleSession.Password);
        Assert.Equal(HttpStatusCode.Redirect, signedIn);

        using var machine = host.CreateClient();
        machine.DefaultRequestHeaders.Add("X-Api-Key", "machine-key-for-tests");
        using var content = new ByteArrayContent(TestMail.Sample("01-support.eml"));
        content.Headers.ContentType = new("message/rfc822");
        using var posted = await machine.PostAsync(new Uri($"/api/messages?mailbox={SiftTestHost.Mailbox}", UriKind.Relative), content);
        Assert.Equal(HttpStatusCode.Accepted, posted.StatusCode);
        var id = posted.Headers.Location!.OriginalString.Split('/')[^1];
        await host.RunWorkflowsAsync();

        // A signed-in browser session is not an API credential.
        using (var api = await client.GetAsync(new Uri($"/api/messages/{id}", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, api.StatusCode);
        }

        // A cross-site form post carries the cookie but not the token.
        using var forged = await client.PostAsync(
            new Uri($"/console/messages/{id}/decision", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["action"] = "approve" }));
        Assert.Equal(HttpStatusCode.BadRequest, forged.StatusCode);
        Assert.Contains("nothing was changed", await forged.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        await host.RunWorkflowsAsync();
        using var after = await machine.GetAsync(new Uri($"/api/messages/{id}", UriKind.Relative));
        Assert.Contains($"\"status\":\"{MessageStatus.AwaitingReview}\"", await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_queue_filter_names_the_parameter()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, ConsoleSession.Accounts());
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        await SignInAsync(client, ConsoleSession.AdminUser, ConsoleSession.Password);

        using var response = await client.GetAsync(new Uri("/console?sla=late&age=forever", UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var html = await response.Content.ReadAsStringAsync();
        Assert.Contains("sla must be one of on-time, due-soon, overdue.", html, StringComparison.Ordinal);
        Assert.Contains("age must be a number of hours", html, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("Sift:Auth:Entra:ClientId", "only-a-client-id", "Sift:Auth:Entra:TenantId is missing")]
    [InlineData("Sift:Console:LocalAdmin:PasswordHash", "hunter2", "Sift:Console:LocalAdmin:PasswordHash is not a password hash")]
    [InlineData("Sift:Console:Users:vera:Role", "boss", "Sift:Console:Users:vera:Role must be one of viewer, approver, admin")]
    public async Task A_wrong_sign_in_setting_stops_the_host_and_names_the_key(string key, string value, string expected)
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { [key] = value });
        var error = Assert.ThrowsAny<Exception>(() => host.CreateClient());
        Assert.Contains(expected, error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sign_in_attempts_beyond_the_limit_per_minute_are_refused_with_429_even_with_the_right_password()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var settings = ConsoleSession.Accounts();
        settings["Sift:Console:LoginAttemptsPerMinute"] = "3";
        await using var host = new SiftTestHost(database, settings);
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });

        for (var attempt = 0; attempt < 3; attempt++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await SignInAsync(client, "nobody-" + attempt, "guess")).Status);
        }

        var (status, body) = await SignInAsync(client, ConsoleSession.AdminUser, ConsoleSession.Password);
        Assert.Equal(HttpStatusCode.TooManyRequests, status);
        Assert.Contains("Too many sign-in attempts", body, StringComparison.Ordinal);
        using var queue = await client.GetAsync(new Uri("/console", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Redirect, queue.StatusCode);
    }

    [Fact]
    public async Task A_local_account_whose_role_or_password_changes_loses_its_session_at_the_next_request()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, ConsoleSession.Accounts());
        var viewer = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var approver = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var admin = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        var otto = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(otto, ConsoleSession.SalesApprover, ConsoleSession.Password)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(viewer, ConsoleSession.Viewer, ConsoleSession.Password)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(approver, ConsoleSession.SupportApprover, ConsoleSession.Password)).Status);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(admin, ConsoleSession.AdminUser, ConsoleSession.Password)).Status);

        // The configuration changes under the running host, as a reloaded settings file would.
        var configuration = (IConfigurationRoot)host.Services.GetRequiredService<IConfiguration>();
        configuration[$"Sift:Console:Users:{ConsoleSession.Viewer}:Role"] = SiftRoles.Approver;
        configuration[$"Sift:Console:Users:{ConsoleSession.SupportApprover}:Role"] = SiftRoles.Viewer;
        configuration[$"Sift:Console:Users:{ConsoleSession.SalesApprover}:PasswordHash"] = LocalPasswords.Hash("a new password for otto", iterations: 1_000);
        configuration.Reload();

        foreach (var ended in new[] { viewer, approver, otto })
        {
            using var response = await ended.GetAsync(new Uri("/console", UriKind.Relative));
            Assert.Equal(HttpStatusCode.Redirect, response.StatusCode);
            Assert.Equal(SecurityExtensions.LoginPath, response.Headers.Location!.AbsolutePath);
        }

        using var unchanged = await admin.GetAsync(new Uri("/console", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, unchanged.StatusCode);
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(viewer, ConsoleSession.Viewer, ConsoleSession.Password)).Status);
        using var again = await viewer.GetAsync(new Uri("/console", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
    }

    [Fact]
    public async Task A_session_ends_after_its_maximum_age_however_active_it_was()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var time = new FakeTimeProvider(TimeProvider.System.GetUtcNow());
        await using var host = new SiftTestHost(database, ConsoleSession.Accounts(), services => services.AddSingleton<TimeProvider>(time));
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false });
        Assert.Equal(HttpStatusCode.Redirect, (await SignInAsync(client, ConsoleSession.AdminUser, ConsoleSession.Password)).Status);

        // A request every 3.5 hours keeps the 8-hour sliding cookie alive; the 12-hour maximum still ends it.
        foreach (var (after, expected) in new[] { (3.5, HttpStatusCode.OK), (7.0, HttpStatusCode.OK), (10.5, HttpStatusCode.OK), (14.0, HttpStatusCode.Redirect) })
        {
            time.Advance(TimeSpan.FromHours(3.5));
            using var response = await client.GetAsync(new Uri("/console", UriKind.Relative));
            Assert.True(expected == response.StatusCode, $"after {after} hours the console answered {response.StatusCode}, expected {expected}");
        }
    }

    /// <summary>Posts the login form with the token the login page gave (its cookie is kept by the client).</summary>
    private static async Task<(HttpStatusCode Status, string Html)> SignInAsync(HttpClient client, string user, string password)
    {
        var page = await client.GetStringAsync(new Uri("/console/login", UriKind.Relative));
        var token = TokenField().Match(page).Groups[1].Value;
        using var response = await client.PostAsync(new Uri("/console/login", UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["__RequestVerificationToken"] = token,
            ["user"] = user,
            ["password"] = password,
            ["returnUrl"] = "/console",
        }));
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex TokenField();
}
