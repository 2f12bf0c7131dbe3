using System.Net;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.WebUtilities;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.WebConsole;

/// <summary>
/// The Entra ID sign-in (OpenID Connect, authorization code) through the whole host, against a local provider that plays
/// Entra ID's v2.0 endpoints: discovery, JWKS, token. Roles come from app-role claims or from mapped groups.
/// </summary>
public sealed class EntraSignInTests
{
    private const string ViewerGroup = "6f1c2a4e-0000-4000-8000-000000000001";

    [Fact]
    public async Task An_app_role_claim_signs_in_an_approver_and_the_local_login_is_off()
    {
        await using var entra = await FakeEntra.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, Settings(entra));
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        using (var login = await client.GetAsync(new Uri("/console/login", UriKind.Relative)))
        {
            var html = await login.Content.ReadAsStringAsync();
            Assert.Contains("id=\"entra-login\"", html, StringComparison.Ordinal);
            Assert.DoesNotContain("id=\"password\"", html, StringComparison.Ordinal);
        }

        var cookies = await SignInAsync(client, entra, "dana@contoso.example", roles: ["Sift.Approver"], groups: []);
        var queue = await GetAsync(client, "/console", cookies);
        Assert.Equal(HttpStatusCode.OK, queue.StatusCode);
        Assert.Contains("<strong id=\"user-name\">dana@contoso.example</strong> (<span id=\"user-role\">approver</span>)", queue.Html, StringComparison.Ordinal);
        var token = Assert.Single(entra.TokenRequests);
        Assert.Equal("http://localhost/signin-oidc", token["redirect_uri"]);
        Assert.False(string.IsNullOrEmpty(token["code_verifier"]), "the code was redeemed without PKCE");
    }

    [Fact]
    public async Task A_mapped_group_gives_its_role_and_a_person_with_no_role_is_denied()
    {
        await using var entra = await FakeEntra.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, Settings(entra));
        var client = host.CreateClient(new WebApplicationFactoryClientOptions { AllowAutoRedirect = false, HandleCookies = false });

        var viewer = await SignInAsync(client, entra, "vic@contoso.example", roles: [], groups: [ViewerGroup, "some-other-group"]);
        var page = await GetAsync(client, "/console", viewer);
        Assert.Equal(HttpStatusCode.OK, page.StatusCode);
        Assert.Contains("<span id=\"user-role\">viewer</span>", page.Html, StringComparison.Ordinal);

        var nobody = await SignInAsync(client, entra, "nora@contoso.example", roles: ["Some.Other.App.Role"], groups: ["some-other-group"]);
        var refused = await GetAsync(client, "/console", nobody);
        Assert.Equal(HttpStatusCode.Redirect, refused.StatusCode);
        Assert.StartsWith("http://localhost/console/denied?", refused.Location, StringComparison.Ordinal);
        var denied = await GetAsync(client, "/console/denied", nobody);
        Assert.Equal(HttpStatusCode.Forbidden, denied.StatusCode);
        Assert.Contains("no Sift role", denied.Html, StringComparison.Ordinal);
    }

    private static Dictionary<string, string?> Settings(FakeEntra entra)
    {
        var settings = ConsoleSession.Accounts();
        foreach (var (key, value) in entra.Settings())
        {
            settings[key] = value;
        }

        settings[$"Sift:Auth:Entra:Groups:{ViewerGroup}"] = "viewer";
        return settings;
    }

    /// <summary>
    /// The browser's part of the code flow: follow Sift to the provider's authorize endpoint, let the provider issue a
    /// code for that request's nonce, and post it back to /signin-oidc with the state, as Entra ID's form_post does.
    /// </summary>
    private static async Task<Dictionary<string, string>> SignInAsync(HttpClient client, FakeEntra entra, string user, string[] roles, string[] groups)
    {
        var cookies = new Dictionary<string, string>(StringComparer.Ordinal);
        using var challenge = await client.GetAsync(new Uri("/console/login/entra?returnUrl=%2Fconsole", UriKind.Relative));
        Assert.True(challenge.StatusCode == HttpStatusCode.Redirect, $"the challenge answered {challenge.StatusCode}: {await challenge.Content.ReadAsStringAsync()}");
        var authorize = challenge.Headers.Location!;
        Assert.StartsWith($"{entra.BaseUrl}{FakeEntra.Tenant}/oauth2/v2.0/authorize", authorize.ToString(), StringComparison.Ordinal);
        Keep(challenge, cookies);
        var query = QueryHelpers.ParseQuery(authorize.Query);
        Assert.Equal(FakeEntra.ClientId, query["client_id"]);
        Assert.Equal("code", query["response_type"]);

        var code = entra.IssueCode(query["nonce"]!, user, roles, groups);
        using var callback = new HttpRequestMessage(HttpMethod.Post, new Uri("/signin-oidc", UriKind.Relative))
        {
            Content = new FormUrlEncodedContent(new Dictionary<string, string> { ["code"] = code, ["state"] = query["state"]! }),
        };
        callback.Headers.Add("Cookie", Header(cookies));
        using var signedIn = await client.SendAsync(callback);
        Assert.True(signedIn.StatusCode == HttpStatusCode.Redirect, $"the callback answered {signedIn.StatusCode}: {await signedIn.Content.ReadAsStringAsync()}");
        Assert.Equal("/console", signedIn.Headers.Location!.OriginalString);
        Keep(signedIn, cookies);
        Assert.Contains("sift.console", cookies.Keys);
        return cookies;
    }

    private static async Task<(HttpStatusCode StatusCode, string Html, string? Location)> GetAsync(HttpClient client, string path, Dictionary<string, string> cookies)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(path, UriKind.Relative));
        request.Headers.Add("Cookie", Header(cookies));
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync(), response.Headers.Location?.OriginalString);
    }

    // The correlation and nonce cookies are Secure (as they must be for Entra ID); a cookie jar would not send them to
    // the test server's http address, so the test carries them by hand.
    private static void Keep(HttpResponseMessage response, Dictionary<string, string> cookies)
    {
        foreach (var header in response.Headers.TryGetValues("Set-Cookie", out var values) ? values : [])
        {
            var pair = header.Split(';')[0];
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            cookies[pair[..equals]] = pair[(equals + 1)..];
        }
    }

    private static string Header(Dictionary<string, string> cookies) => string.Join("; ", cookies.Where(c => c.Value.Length > 0).Select(c => $"{c.Key}={c.Value}"));
}
