using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Sift.Api;
using Sift.Ingestion;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion.Graph;

/// <summary>Graph's notification URL: handshake, per-item authentication, 202 with the work queued, then the fetch by the worker.</summary>
public sealed class GraphWebhookTests
{
    [Theory]
    [InlineData("/webhooks/graph")]
    [InlineData("/webhooks/graph/lifecycle")]
    public async Task The_validation_handshake_answers_the_decoded_token_as_plain_text_without_reading_the_body(string path)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = GraphTestHost.Create(database, graph);
        const string token = "Validation: Testing client application reachability for subscription Request-Id: 2b3c4d5e <&> +=?";

        // Graph sends text/plain; a body, when present, is ignored, even if it is not JSON.
        using var content = new StringContent("not json at all", Encoding.UTF8, "text/plain");
        using var response = await host.CreateClient().PostAsync(new Uri($"{path}?validationToken={Uri.EscapeDataString(token)}", UriKind.Relative), content);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/plain", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal(token, await response.Content.ReadAsStringAsync());
        Assert.Equal(0, await GraphTestHost.CountAsync(host, "ingest_jobs"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_notification_is_queued_with_202_and_the_worker_fetches_the_message_and_starts_its_workflow(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph, new Dictionary<string, string?> { ["Sift:ApiKey"] = "s3cret-key" });
        var (subscription, clientState) = await GraphTestHost.SubscribeAsync(host, graph);

        // No X-Api-Key: Graph cannot send one; the clientState authenticates the item.
        using var response = await GraphTestHost.PostAsync(host, GraphTestHost.Notification(subscription, clientState, "AAMkAGUwNjQ4ZjIxAAA="));

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, await GraphTestHost.CountJobsAsync(host, IngestJobState.Queued, "message"));
        Assert.Empty(graph.Seen("GET", "/messages/")); // never fetched inline

        Assert.Equal(1, await host.RunIngestJobsAsync());

        var fetch = Assert.Single(graph.Fetches("AAMkAGUwNjQ4ZjIxAAA="));
        Assert.Contains("internetMessageHeaders", Uri.UnescapeDataString(fetch.Query), StringComparison.Ordinal);
        Assert.Contains("uniqueBody", Uri.UnescapeDataString(fetch.Query), StringComparison.Ordinal);
        Assert.Contains("outlook.body-content-type", fetch.Prefer, StringComparison.Ordinal);
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Add(ApiKeyFilter.Header, "s3cret-key");
        var page = await client.GetFromJsonAsync<MessagePage>(new Uri($"/api/messages?mailbox={Uri.EscapeDataString(GraphTestHost.Mailbox)}", UriKind.Relative));
        var summary = Assert.Single(page!.Items);
        Assert.Equal("Invoice 4471 was charged twice", summary.Subject);
        Assert.Equal("adelev@initech.example", summary.Sender);
        var detail = (await client.GetFromJsonAsync<MessageDetail>(new Uri($"/api/messages/{summary.Id}", UriKind.Relative)))!;
        Assert.Equal("AAMkAGUwNjQ4ZjIxAAA=@contoso.example", detail.InternetMessageId);
        Assert.Equal("AAQkADOUpag6yWs=", detail.ThreadId);
        Assert.Contains("charged twice for invoice 4471", detail.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("<p>", detail.Text, StringComparison.Ordinal);
        Assert.Equal("invoice-4471.pdf", Assert.Single(detail.Attachments).Name);
        Assert.Contains(detail.Audit, a => a.Step == "ingest" && a.Actor == "graph");
        Assert.Equal("queued", detail.Workflow.State);
        Assert.Equal(1, await GraphTestHost.CountAsync(host, "workflows"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_repeated_notification_yields_one_message(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (subscription, clientState) = await GraphTestHost.SubscribeAsync(host, graph);
        var body = GraphTestHost.Notification(subscription, clientState, "dup-msg");

        using (var first = await GraphTestHost.PostAsync(host, body))
        using (var second = await GraphTestHost.PostAsync(host, body))
        {
            Assert.Equal(HttpStatusCode.Accepted, first.StatusCode);
            Assert.Equal(HttpStatusCode.Accepted, second.StatusCode);
        }

        await host.RunIngestJobsAsync();
        using (var late = await GraphTestHost.PostAsync(host, body))
        {
            Assert.Equal(HttpStatusCode.Accepted, late.StatusCode);
        }

        await host.RunIngestJobsAsync();
        Assert.Equal(1, await GraphTestHost.CountAsync(host, "messages"));
        Assert.Equal(1, await GraphTestHost.CountAsync(host, "ingest_jobs"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_forged_item_in_a_batch_is_refused_and_recorded_while_the_genuine_one_is_queued(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (subscription, clientState) = await GraphTestHost.SubscribeAsync(host, graph);
        var genuine = JsonDocument.Parse(GraphTestHost.Notification(subscription, clientState, "genuine-msg")).RootElement.GetProperty("value")[0];
        var forged = JsonDocument.Parse(GraphTestHost.Notification(subscription, clientState + "x", "forged-msg")).RootElement.GetProperty("value")[0];

        using var response = await GraphTestHost.PostAsync(host, $"{{\"value\":[{genuine.GetRawText()},{forged.GetRawText()}]}}");

        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, await GraphTestHost.CountJobsAsync(host, IngestJobState.Queued));
        var rejected = Assert.Single(await host.Services.GetRequiredService<IngestJobs>().ListAsync(IngestJobState.Rejected, 10, CancellationToken.None));
        Assert.Contains("clientState", rejected.LastError, StringComparison.Ordinal);
        Assert.Equal(GraphTestHost.Mailbox, rejected.Mailbox);

        await host.RunIngestJobsAsync();
        Assert.Single(graph.Fetches("genuine-msg"));
        Assert.Empty(graph.Seen("GET", "/messages/forged-msg"));
        Assert.Equal(1, await GraphTestHost.CountAsync(host, "messages"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Items_for_an_unknown_subscription_or_another_tenant_are_refused(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (subscription, clientState) = await GraphTestHost.SubscribeAsync(host, graph);

        using var unknown = await GraphTestHost.PostAsync(host, GraphTestHost.Notification(Guid.NewGuid().ToString(), clientState, "m1"));
        using var tenant = await GraphTestHost.PostAsync(host, GraphTestHost.Notification(subscription, clientState, "m2", tenant: Guid.NewGuid().ToString()));

        Assert.Equal(HttpStatusCode.Accepted, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, tenant.StatusCode);
        Assert.Equal(0, await GraphTestHost.CountJobsAsync(host, IngestJobState.Queued));
        var reasons = (await host.Services.GetRequiredService<IngestJobs>().ListAsync(IngestJobState.Rejected, 10, CancellationToken.None)).Select(j => j.LastError).ToList();
        Assert.Contains(reasons, r => r!.Contains("unknown subscription", StringComparison.Ordinal));
        Assert.Contains(reasons, r => r!.Contains("unexpected tenant", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("{\"value\": [ {\"subscriptionId\": ", "not valid JSON")]
    [InlineData("{\"notifications\": []}", "'value'")]
    [InlineData("", "not valid JSON")]
    [InlineData("{\"value\": [null]}", "null notification")]
    public async Task A_body_that_is_not_a_notification_batch_is_refused_with_a_problem_naming_it(string body, string named)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = GraphTestHost.Create(database, graph);

        using var response = await GraphTestHost.PostAsync(host, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains(named, problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, await GraphTestHost.CountAsync(host, "ingest_jobs"));
    }

    [Fact]
    public async Task A_body_larger_than_any_Graph_batch_is_refused_413_before_it_is_read()
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = GraphTestHost.Create(database, graph);
        var huge = "{\"value\": [" + string.Join(',', Enumerable.Repeat("{\"subscriptionId\": \"" + new string('a', 1000) + "\"}", 2000)) + "]}";

        using var response = await GraphTestHost.PostAsync(host, huge);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Equal(0, await GraphTestHost.CountAsync(host, "ingest_jobs"));
    }

    [Fact]
    public async Task When_the_database_is_unavailable_a_notification_is_answered_503_so_that_Graph_retries()
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var host = GraphTestHost.Create(database, graph);
        var (subscription, clientState) = await GraphTestHost.SubscribeAsync(host, graph);

        await database.DropAsync();
        using var response = await GraphTestHost.PostAsync(host, GraphTestHost.Notification(subscription, clientState, "outage-msg"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.NotNull(response.Headers.RetryAfter);
    }

    [Fact]
    public async Task Without_Graph_configuration_the_webhook_is_not_mapped()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database);

        using var response = await host.CreateClient().PostAsync(new Uri("/webhooks/graph?validationToken=x", UriKind.Relative), null);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
    }
}
