using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json.Nodes;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sift.Api;
using Sift.Ingestion;
using Sift.Ingestion.Gmail;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion.Gmail;

/// <summary>
/// Gmail push end to end: the real Sift host, a real database, and Google played by a local server (JWKS, OAuth token
/// endpoint, Gmail REST) answering with documented payloads.
/// </summary>
public sealed class GmailIngestionTests
{
    private const string Mailbox = SiftTestHost.Mailbox;

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_verified_push_becomes_one_job_that_ingests_the_new_inbox_mail_and_advances_the_cursor(string engine)
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, google);
        await SetCursorAsync(host, "1000");

        using (var first = await PushAsync(host, google.Token(), Body("m-1")))
        {
            Assert.Equal(HttpStatusCode.NoContent, first.StatusCode);
        }

        using (var redelivered = await PushAsync(host, google.Token(), Body("m-1")))
        {
            Assert.Equal(HttpStatusCode.NoContent, redelivered.StatusCode);
        }

        Assert.Empty(google.Requests);
        Assert.Equal(1, await CountJobsAsync(host, IngestJobState.Queued));
        Assert.Equal(1, await host.RunIngestJobsAsync());

        Assert.Equal(
            ["GET /gmail/v1/users/support@contoso.example/history?startHistoryId=1000&historyTypes=messageAdded&labelId=INBOX&maxResults=500",
             "GET /gmail/v1/users/support@contoso.example/history?startHistoryId=1000&historyTypes=messageAdded&labelId=INBOX&maxResults=500&pageToken=page-2",
             "GET /gmail/v1/users/support@contoso.example/messages/18c1a2b3c4d5e601?format=raw",
             "GET /gmail/v1/users/support@contoso.example/messages/18c1a2b3c4d5e602?format=raw"],
            google.Requests.Where(r => r.StartsWith("GET", StringComparison.Ordinal)).ToArray());
        var assertion = Assert.Single(google.Assertions);
        Assert.Equal((Mailbox, GmailAccessTokens.Scope), (assertion["sub"]!.GetValue<string>(), assertion["scope"]!.GetValue<string>()));

        var page = (await host.CreateClient().GetFromJsonAsync<MessagePage>("/api/messages"))!;
        Assert.Equal(["Password reset", "Where is my invoice?"], page.Items.Select(m => m.Subject).Order(StringComparer.Ordinal).ToArray());
        Assert.All(page.Items, m => Assert.Equal((Mailbox, "ana@customer.example", "queued"), (m.Mailbox, m.Sender, m.WorkflowState)));
        var detail = await host.GetAsync(page.Items.Single(m => m.Subject == "Where is my invoice?").Id);
        Assert.Equal("gmail-1@customer.example", detail.InternetMessageId);
        Assert.Equal("gmail", Assert.Single(detail.Audit).Actor);
        Assert.Equal(2, await host.RunWorkflowsAsync());

        Assert.Equal("1100", await CursorAsync(host));
        Assert.Equal(1, await CountJobsAsync(host, IngestJobState.Done));
    }

    [Fact]
    public async Task A_notification_the_cursor_has_already_passed_calls_no_Gmail()
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, google);
        await SetCursorAsync(host, "1100");

        using (var push = await PushAsync(host, google.Token(), Body("m-old")))
        {
            Assert.Equal(HttpStatusCode.NoContent, push.StatusCode);
        }

        Assert.Equal(1, await host.RunIngestJobsAsync());
        Assert.Equal(1, await CountJobsAsync(host, IngestJobState.Done));
        Assert.Empty(google.Requests);
        Assert.Equal("1100", await CursorAsync(host));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Refused_push_tokens_answer_401_or_403_enqueue_nothing_and_are_recorded(string engine)
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, google);
        var stranger = FakeGoogle.SigningKey.Create(google.Current.Kid);
        var cases = new (string Name, string? Token, HttpStatusCode Status, string Reason)[]
        {
            ("missing header", null, HttpStatusCode.Unauthorized, "no Bearer token"),
            ("not a JWT", "not-a-jwt", HttpStatusCode.Unauthorized, "not a JWT"),
            ("signed with another key", google.Token(key: stranger), HttpStatusCode.Unauthorized, "signature does not verify"),
            ("expired", google.Token(expires: TimeProvider.System.GetUtcNow().UtcDateTime.AddMinutes(-5)), HttpStatusCode.Unauthorized, "expired"),
            ("wrong issuer", google.Token(c => c["iss"] = "https://evil.example"), HttpStatusCode.Unauthorized, "issuer"),
            ("wrong audience", google.Token(c => c["aud"] = "https://sift.contoso.example/webhooks/gmail/"), HttpStatusCode.Forbidden, "audience"),
            ("wrong account", google.Token(c => c["email"] = "someone@sift-test.iam.gserviceaccount.com"), HttpStatusCode.Forbidden, "push service account"),
            ("unverified email", google.Token(c => c["email_verified"] = false), HttpStatusCode.Forbidden, "not verified"),
        };

        foreach (var (name, token, status, reason) in cases)
        {
            using var response = await PushAsync(host, token, Body($"m-{name}"));
            Assert.True(status == response.StatusCode, $"{name}: expected {status}, got {response.StatusCode}");
            var problem = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
            Assert.Contains(reason, problem, StringComparison.Ordinal);
            Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        }

        Assert.Equal(0, await CountJobsAsync(host, IngestJobState.Queued));
        var rejected = (await host.CreateClient().GetFromJsonAsync<IngestJobList>("/api/ingest/jobs?state=rejected&limit=50"))!.Items;
        Assert.Equal(cases.Length, rejected.Count);
        Assert.All(rejected, r => Assert.Equal("gmail", r.Source));
        Assert.Contains(rejected, r => r.LastError!.Contains("expired", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Malformed_pushes_answer_400_naming_the_field_and_an_unwatched_mailbox_is_refused()
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, google);

        foreach (var (body, field) in new[]
        {
            ("this is not JSON", "body"),
            ("{\"subscription\": \"projects/sift-test/subscriptions/gmail-push\"}", "message"),
            ("{\"message\": {\"messageId\": \"m-2\"}}", "message.data"),
            ("{\"message\": {\"messageId\": \"m-2\", \"data\": \"%%% not base64 %%%\"}}", "message.data"),
            (Body("m-2", data: "{\"historyId\": \"1100\"}"), "message.data.emailAddress"),
            (Body("m-2", data: "{\"emailAddress\": \"support@contoso.example\"}"), "message.data.historyId"),
        })
        {
            using var response = await PushAsync(host, google.Token(), body);
            Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
            var problem = (await response.Content.ReadFromJsonAsync<JsonObject>(TestContext.Current.CancellationToken))!;
            Assert.True(problem["errors"]![field] is not null, $"expected an error for '{field}' in {problem.ToJsonString()}");
        }

        using (var unwatched = await PushAsync(host, google.Token(), Body("m-3", data: "{\"emailAddress\": \"sales@contoso.example\", \"historyId\": \"77\"}")))
        {
            Assert.Equal(HttpStatusCode.Forbidden, unwatched.StatusCode);
        }

        Assert.Equal(0, await CountJobsAsync(host, IngestJobState.Queued));
        var rejected = (await host.CreateClient().GetFromJsonAsync<IngestJobList>("/api/ingest/jobs?state=rejected&limit=50"))!.Items;
        Assert.Equal(7, rejected.Count);
        Assert.Contains(rejected, r => r.Mailbox == "sales@contoso.example" && r.LastError!.Contains("not configured", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_history_id_too_old_for_Gmail_falls_back_to_a_bounded_resync_and_the_profile_s_history_id(string engine)
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, google);
        await SetCursorAsync(host, "5");
        google.Script("/history", 404, FakeGoogle.Fixture("error-404.json"));

        using (var push = await PushAsync(host, google.Token(), Body("m-4")))
        {
            Assert.Equal(HttpStatusCode.NoContent, push.StatusCode);
        }

        Assert.Equal(1, await host.RunIngestJobsAsync());

        Assert.Contains("GET /gmail/v1/users/support@contoso.example/messages?labelIds=INBOX&q=newer_than%3A2d&maxResults=500", google.Requests);
        Assert.Contains("GET /gmail/v1/users/support@contoso.example/profile", google.Requests);
        Assert.Equal(2, (await host.CreateClient().GetFromJsonAsync<MessagePage>("/api/messages"))!.Items.Count);
        Assert.Equal("2000", await CursorAsync(host));
        Assert.Equal(1, await CountJobsAsync(host, IngestJobState.Done));
    }

    [Fact]
    public async Task A_throttled_Gmail_call_is_retried_later_after_at_least_its_Retry_After()
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, google);
        await SetCursorAsync(host, "1000");
        google.Script("/history", 429, FakeGoogle.Fixture("error-429.json"), retryAfter: "120");

        using (var push = await PushAsync(host, google.Token(), Body("m-5")))
        {
            Assert.Equal(HttpStatusCode.NoContent, push.StatusCode);
        }

        var before = TimeProvider.System.GetUtcNow();
        Assert.Equal(1, await host.RunIngestJobsAsync());
        await using (var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None))
        {
            var (state, nextRunAt, error) = await connection.QuerySingleAsync<(string, DateTimeOffset, string)>(
                "SELECT state, next_run_at, last_error FROM ingest_jobs WHERE source = 'gmail' AND state <> 'rejected'");
            Assert.Equal(IngestJobState.Queued, state);
            Assert.True(nextRunAt >= before.AddSeconds(120), $"next run {nextRunAt:O} should honour Retry-After (120 s after {before:O})");
            Assert.Contains("429", error, StringComparison.Ordinal);

            // Not due yet: nothing runs; once due, it completes.
            Assert.Equal(0, await host.RunIngestJobsAsync());
            await connection.ExecuteAsync("UPDATE ingest_jobs SET next_run_at = @past WHERE state = 'queued'", new { past = before.AddMinutes(-1) });
        }

        Assert.Equal(1, await host.RunIngestJobsAsync());
        Assert.Equal(2, (await host.CreateClient().GetFromJsonAsync<MessagePage>("/api/messages"))!.Items.Count);
        Assert.Equal("1100", await CursorAsync(host));
    }

    [Fact]
    public async Task An_unparsable_message_is_recorded_as_rejected_and_the_rest_is_ingested()
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, google);
        await SetCursorAsync(host, "1000");
        google.Script("/history", 200, """
            {"history": [
              {"id": "1060", "messagesAdded": [{"message": {"id": "18c1a2b3c4d5e6ff", "threadId": "18c1a2b3c4d5e6ff", "labelIds": ["INBOX"]}}]},
              {"id": "1061", "messagesAdded": [{"message": {"id": "18c1a2b3c4d5e601", "threadId": "18c1a2b3c4d5e601", "labelIds": ["INBOX"]}}]}],
             "historyId": "1061"}
            """);

        using (var push = await PushAsync(host, google.Token(), Body("m-6")))
        {
            Assert.Equal(HttpStatusCode.NoContent, push.StatusCode);
        }

        Assert.Equal(1, await host.RunIngestJobsAsync());
        Assert.Equal(1, await CountJobsAsync(host, IngestJobState.Done));
        var rejected = Assert.Single((await host.CreateClient().GetFromJsonAsync<IngestJobList>("/api/ingest/jobs?state=rejected"))!.Items);
        Assert.Contains("18c1a2b3c4d5e6ff", rejected.LastError, StringComparison.Ordinal);
        Assert.Equal("Where is my invoice?", Assert.Single((await host.CreateClient().GetFromJsonAsync<MessagePage>("/api/messages"))!.Items).Subject);
        Assert.Equal("1061", await CursorAsync(host));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Watch_renewal_calls_users_watch_and_keeps_the_first_history_id_and_the_expiry(string engine)
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, google);
        var watch = host.Services.GetRequiredService<GmailWatch>();

        Assert.Equal(1, await watch.RenewAllAsync(CancellationToken.None));
        var body = JsonNode.Parse(Assert.Single(google.WatchBodies))!;
        Assert.Equal(FakeGoogle.Topic, body["topicName"]!.GetValue<string>());
        Assert.Equal("INBOX", Assert.Single(body["labelIds"]!.AsArray())!.GetValue<string>());
        Assert.Equal("1000", await CursorAsync(host));
        var cursors = host.Services.GetRequiredService<IngestCursors>();
        Assert.Equal("1431990098200", await cursors.GetAsync("gmail.watch", Mailbox, CancellationToken.None));

        // A renewal never moves an existing cursor: history from it would be skipped.
        await SetCursorAsync(host, "1200");
        Assert.Equal(1, await watch.RenewAllAsync(CancellationToken.None));
        Assert.Equal("1200", await CursorAsync(host));
    }

    [Fact]
    public async Task A_worker_renews_the_watch_at_start_and_again_after_the_interval()
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, google, new() { ["Sift:Roles"] = "worker", ["Sift:Gmail:WatchInterval"] = "00:00:01" });
        _ = host.Services;

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (google.WatchBodies.Count < 2 && clock.Elapsed < TimeSpan.FromSeconds(20))
        {
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        Assert.True(google.WatchBodies.Count >= 2, $"users.watch was called {google.WatchBodies.Count} times");
    }

    [Fact]
    public async Task Google_s_keys_are_cached_and_an_unknown_key_id_fetches_them_once_more()
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, google);

        for (var i = 0; i < 2; i++)
        {
            using var push = await PushAsync(host, google.Token(), Body($"k-{i}"));
            Assert.Equal(HttpStatusCode.NoContent, push.StatusCode);
        }

        Assert.Equal(1, google.JwksFetches);

        // Google rotates: a new key signs, and the JWKS publishes it.
        google.Current = FakeGoogle.SigningKey.Create("google-key-2");
        google.Published.Add(google.Current);
        using (var rotated = await PushAsync(host, google.Token(), Body("k-rotated")))
        {
            Assert.Equal(HttpStatusCode.NoContent, rotated.StatusCode);
        }

        Assert.Equal(2, google.JwksFetches);

        // A made-up key id right after does not make Sift fetch again.
        using (var forged = await PushAsync(host, google.Token(key: FakeGoogle.SigningKey.Create("made-up")), Body("k-forged")))
        {
            Assert.Equal(HttpStatusCode.Unauthorized, forged.StatusCode);
        }

        Assert.Equal(2, google.JwksFetches);
        Assert.Equal(3, await CountJobsAsync(host, IngestJobState.Queued));
    }

    [Fact]
    public async Task A_storage_outage_answers_503_so_Pub_Sub_redelivers()
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var host = Host(database, google);
        _ = host.Services;
        await database.DropAsync();

        using var response = await PushAsync(host, google.Token(), Body("m-outage"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Without_Gmail_configuration_there_is_no_webhook()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        using var response = await PushAsync(host, "anything", Body("m-off"));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }

    private static SiftTestHost Host(TestDatabase database, FakeGoogle google, Dictionary<string, string?>? extra = null)
    {
        var settings = google.Settings(database.DataDirectory, Mailbox);
        foreach (var (key, value) in extra ?? [])
        {
            settings[key] = value;
        }

        return new SiftTestHost(database, settings);
    }

    /// <summary>The fixture's push body with another Pub/Sub message id and, optionally, other decoded data.</summary>
    private static string Body(string messageId, string? data = null)
    {
        var body = JsonNode.Parse(FakeGoogle.Fixture("pubsub-push-body.json"))!;
        body["message"]!["messageId"] = messageId;
        body["message"]!["message_id"] = messageId;
        if (data is not null)
        {
            body["message"]!["data"] = Convert.ToBase64String(Encoding.UTF8.GetBytes(data));
        }

        return body.ToJsonString();
    }

    private static async Task<HttpResponseMessage> PushAsync(SiftTestHost host, string? token, string body)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/webhooks/gmail") { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        return await host.CreateClient().SendAsync(request);
    }

    private static Task SetCursorAsync(SiftTestHost host, string historyId) =>
        host.Services.GetRequiredService<IngestCursors>().SetAsync("gmail", Mailbox, historyId, CancellationToken.None);

    private static Task<string?> CursorAsync(SiftTestHost host) =>
        host.Services.GetRequiredService<IngestCursors>().GetAsync("gmail", Mailbox, CancellationToken.None);

    private static async Task<int> CountJobsAsync(SiftTestHost host, string state)
    {
        await using var connection = await host.Services.GetRequiredService<SiftDatabase>().OpenAsync(CancellationToken.None);
        return await connection.ExecuteScalarAsync<int>("SELECT COUNT(*) FROM ingest_jobs WHERE source = 'gmail' AND state = @state", new { state });
    }
}
