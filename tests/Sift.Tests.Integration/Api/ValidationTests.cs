using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Api;

/// <summary>Bad input gets a 4xx ProblemDetails that names what was wrong, and leaves nothing behind.</summary>
public sealed class ValidationTests
{
    public static TheoryData<string, string, string?, string, HttpStatusCode, string> BadRequests => new()
    {
        { "no mailbox", "/api/messages", "message/rfc822", "From: a@b.example\r\nSubject: hi\r\n\r\nbody", HttpStatusCode.BadRequest, "mailbox" },
        { "empty raw body", "/api/messages?mailbox=support@contoso.example", "message/rfc822", "", HttpStatusCode.BadRequest, "empty" },
        { "raw without From", "/api/messages?mailbox=support@contoso.example", "message/rfc822", "Subject: hi\r\nMessage-ID: <x@y>\r\n\r\nbody", HttpStatusCode.BadRequest, "From" },
        { "raw that is not a message", "/api/messages?mailbox=support@contoso.example", "message/rfc822", "just some words, no headers at all", HttpStatusCode.BadRequest, "RFC 822" },
        { "broken JSON", "/api/messages?mailbox=support@contoso.example", "application/json", "{\"from\": \"a@b.example\", \"subject\": ", HttpStatusCode.BadRequest, "not valid JSON" },
        { "JSON of the wrong type", "/api/messages?mailbox=support@contoso.example", "application/json", "{\"from\": 42}", HttpStatusCode.BadRequest, "$.from" },
        { "JSON without from", "/api/messages?mailbox=support@contoso.example", "application/json", "{\"subject\": \"hi\", \"text\": \"hello\"}", HttpStatusCode.BadRequest, "from is required" },
        { "JSON with a bad address", "/api/messages?mailbox=support@contoso.example", "application/json", "{\"from\": \"not an address\", \"subject\": \"hi\", \"text\": \"hello\"}", HttpStatusCode.BadRequest, "not an email address" },
        { "JSON without text", "/api/messages?mailbox=support@contoso.example", "application/json", "{\"from\": \"a@b.example\", \"subject\": \"hi\"}", HttpStatusCode.BadRequest, "text or html is required" },
        { "unsupported content type", "/api/messages?mailbox=support@contoso.example", "text/plain", "hello", HttpStatusCode.UnsupportedMediaType, "message/rfc822" },
        { "no content type", "/api/messages?mailbox=support@contoso.example", null, "hello", HttpStatusCode.UnsupportedMediaType, "(none)" },
    };

    [Theory]
    [MemberData(nameof(BadRequests))]
    public async Task Malformed_input_gets_a_problem_that_names_it_and_stores_nothing(string why, string path, string? contentType, string body, HttpStatusCode status, string mentions)
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        using var content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
        if (contentType is not null)
        {
            content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue(contentType);
        }

        using var response = await host.CreateClient().PostAsync(new Uri(path, UriKind.Relative), content);

        Assert.True(status == response.StatusCode, $"{why}: expected {status}, got {response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadAsStringAsync();
        Assert.Contains(mentions, problem, StringComparison.Ordinal);
        var page = await host.CreateClient().GetFromJsonAsync<Sift.Api.MessagePage>(new Uri("/api/messages", UriKind.Relative));
        Assert.Empty(page!.Items);
    }

    [Fact]
    public async Task A_normalized_JSON_message_is_accepted_and_triaged_like_a_raw_one()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        using var response = await host.CreateClient().PostAsJsonAsync(
            new Uri("/api/messages?mailbox=support@contoso.example", UriKind.Relative),
            new { messageId = "<json-1@initech.example>", from = "Lena Fischer <lena@initech.example>", subject = "Demo meeting", text = "Can we schedule a demo meeting? What is your availability?" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var ingested = await response.Content.ReadFromJsonAsync<Sift.Api.IngestResponse>();
        Assert.Equal($"/api/messages/{ingested!.Id}", response.Headers.Location?.OriginalString);
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(ingested.Id);
        Assert.Equal("json-1@initech.example", detail.InternetMessageId);
        Assert.Equal("scheduling", detail.Classification.Intent);
    }

    [Theory]
    [InlineData("{\"action\": \"maybe\", \"by\": \"x\"}", "action must be approve, edit or reject")]
    [InlineData("{\"action\": \"edit\", \"by\": \"x\"}", "text is required with edit")]
    [InlineData("{\"action\": \"approve\"}", "by is required")]
    [InlineData("{\"action\": ", "not valid JSON")]
    public async Task A_malformed_decision_is_refused_with_the_reason(string body, string mentions)
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();

        using var content = new StringContent(body, Encoding.UTF8, "application/json");
        using var response = await host.CreateClient().PostAsync(new Uri($"/api/messages/{id}/decision", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentions, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.Equal("awaiting_review", (await host.GetAsync(id)).Status);
    }

    [Fact]
    public async Task A_decision_is_refused_when_the_message_is_not_waiting_or_was_already_decided()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        var filtered = await host.IngestAsync(TestMail.Sample("08-bounce.eml"));
        var waiting = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();

        using (var notWaiting = await host.DecideAsync(filtered, "approve"))
        {
            Assert.Equal(HttpStatusCode.Conflict, notWaiting.StatusCode);
            Assert.Contains("its status is 'filtered'", await notWaiting.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        using (var unknown = await host.DecideAsync(Guid.NewGuid(), "approve"))
        {
            Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        }

        using (var first = await host.DecideAsync(waiting, "reject"))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
        }

        using (var second = await host.DecideAsync(waiting, "approve"))
        {
            Assert.Equal(HttpStatusCode.Conflict, second.StatusCode);
            Assert.Contains("already recorded", await second.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal("rejected", (await host.GetAsync(waiting)).Status);
        using var late = await host.DecideAsync(waiting, "approve");
        Assert.Equal(HttpStatusCode.Conflict, late.StatusCode);
    }

    [Theory]
    [InlineData("/api/messages?status=nope", "is not a status")]
    [InlineData("/api/messages?limit=0", "limit must be between 1 and 200")]
    [InlineData("/api/messages?cursor=abc", "cursor must be")]
    public async Task A_bad_list_query_names_the_parameter(string path, string mentions)
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        using var response = await host.CreateClient().GetAsync(new Uri(path, UriKind.Relative));
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(mentions, await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_message_is_a_404_problem()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);
        using var response = await host.CreateClient().GetAsync(new Uri($"/api/messages/{Guid.NewGuid()}", UriKind.Relative));
        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        using var problem = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("Message not found", problem.RootElement.GetProperty("title").GetString());
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_NUL_character_in_a_message_is_stored_the_same_way_on_both_engines(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        using var response = await host.CreateClient().PostAsJsonAsync(
            new Uri("/api/messages?mailbox=support@contoso.example", UriKind.Relative),
            new { messageId = "<nul-1@initech.example>", from = "Lena <lena@initech.example>", subject = "Demo\u0000 meeting", text = "Can we schedule a demo\u0000 meeting?" });

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        var id = (await response.Content.ReadFromJsonAsync<Sift.Api.IngestResponse>())!.Id;
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);
        Assert.Equal("Demo meeting", detail.Subject);
        Assert.Equal("scheduling", detail.Classification.Intent);
        Assert.NotEqual("dead_lettered", detail.Status);
    }
}
