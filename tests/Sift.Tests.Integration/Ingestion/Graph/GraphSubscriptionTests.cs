using System.Net;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Sift.Ingestion;
using Sift.Ingestion.Graph;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion.Graph;

/// <summary>The subscription manager and the lifecycle notifications: create, renew, recreate, adopt, catch up with delta.</summary>
public sealed class GraphSubscriptionTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_subscription_is_created_per_mailbox_with_both_urls_a_random_client_state_and_a_three_day_lifetime(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph, new Dictionary<string, string?> { ["Sift:Graph:Mailboxes:1"] = "sales@contoso.example" });
        var before = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();

        var created = await host.Services.GetRequiredService<GraphSubscriptionManager>().EnsureAllAsync(CancellationToken.None);

        Assert.Equal([GraphTestHost.Mailbox, "sales@contoso.example"], created);
        var posted = graph.Seen("POST", "/v1.0/subscriptions").Select(r => JsonNode.Parse(r.Body)!.AsObject()).ToList();
        Assert.Equal(2, posted.Count);
        var support = posted.Single(p => p["resource"]!.GetValue<string>() == "users/support@contoso.example/mailFolders('inbox')/messages");
        Assert.Equal("created", support["changeType"]!.GetValue<string>());
        Assert.Equal("https://sift.example/webhooks/graph", support["notificationUrl"]!.GetValue<string>());
        Assert.Equal("https://sift.example/webhooks/graph/lifecycle", support["lifecycleNotificationUrl"]!.GetValue<string>());
        var expires = DateTimeOffset.Parse(support["expirationDateTime"]!.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(expires - before, TimeSpan.FromDays(3) - TimeSpan.FromMinutes(5), TimeSpan.FromDays(3) + TimeSpan.FromMinutes(5));
        var states = posted.Select(p => p["clientState"]!.GetValue<string>()).ToList();
        Assert.All(states, s => Assert.InRange(s.Length, 32, 128));
        Assert.NotEqual(states[0], states[1]);

        // Nothing to do the second time: neither created nor renewed.
        Assert.Empty(await host.Services.GetRequiredService<GraphSubscriptionManager>().EnsureAllAsync(CancellationToken.None));
        Assert.Equal(2, graph.Seen("POST", "/v1.0/subscriptions").Count());
        Assert.Empty(graph.Seen("PATCH", "/v1.0/subscriptions/"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_subscription_with_less_than_a_day_left_is_renewed_and_one_graph_no_longer_knows_is_recreated(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (id, _) = await GraphTestHost.SubscribeAsync(host, graph);
        var store = host.Services.GetRequiredService<GraphSubscriptionStore>();
        var manager = host.Services.GetRequiredService<GraphSubscriptionManager>();
        var now = host.Services.GetRequiredService<TimeProvider>().GetUtcNow();

        await store.SetExpiryAsync(id, now + TimeSpan.FromHours(12), CancellationToken.None);
        Assert.Empty(await manager.EnsureAllAsync(CancellationToken.None));

        var patch = Assert.Single(graph.Seen("PATCH", $"/v1.0/subscriptions/{id}"));
        Assert.NotNull(JsonNode.Parse(patch.Body)!["expirationDateTime"]);
        Assert.True((await store.FindAsync(id, CancellationToken.None))!.ExpiresAt > now + TimeSpan.FromDays(2));

        // Graph dropped it (expired, or removed without telling): the renewal's 404 leads to a new subscription.
        graph.Subscriptions.Clear();
        await store.SetExpiryAsync(id, now + TimeSpan.FromHours(1), CancellationToken.None);
        Assert.Equal([GraphTestHost.Mailbox], await manager.EnsureAllAsync(CancellationToken.None));

        Assert.Null(await store.FindAsync(id, CancellationToken.None));
        var replacement = await store.FindByMailboxAsync(GraphTestHost.Mailbox, CancellationToken.None);
        Assert.NotEqual(id, replacement!.Id);
        Assert.True(graph.Subscriptions.ContainsKey(replacement.Id));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_409_at_creation_deletes_the_stray_subscription_of_the_same_resource_and_url_and_creates_its_own(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        graph.Subscriptions["stray"] = new JsonObject
        {
            ["id"] = "stray",
            ["resource"] = "users/support@contoso.example/mailFolders('inbox')/messages",
            ["notificationUrl"] = "https://sift.example/webhooks/graph",
            ["expirationDateTime"] = "2026-11-26T00:00:00Z",
        };
        graph.Subscriptions["someone-else"] = new JsonObject
        {
            ["id"] = "someone-else",
            ["resource"] = "users/support@contoso.example/mailFolders('inbox')/messages",
            ["notificationUrl"] = "https://other-app.example/notify",
            ["expirationDateTime"] = "2026-11-26T00:00:00Z",
        };
        graph.ConflictsOnCreate = 1;

        var (id, clientState) = await GraphTestHost.SubscribeAsync(host, graph);

        Assert.Single(graph.Seen("GET", "/v1.0/subscriptions"));
        Assert.Single(graph.Seen("DELETE", "/v1.0/subscriptions/stray"));
        Assert.Empty(graph.Seen("DELETE", "/v1.0/subscriptions/someone-else"));
        Assert.Equal(2, graph.Seen("POST", "/v1.0/subscriptions").Count());
        Assert.All(graph.Seen("POST", "/v1.0/subscriptions"), r => Assert.Contains("\"clientState\"", r.Body, StringComparison.Ordinal));
        Assert.Equal([id, "someone-else"], graph.Subscriptions.Keys.Order(StringComparer.Ordinal).OrderBy(k => k != id));

        // Its own clientState authenticates notifications.
        using var response = await GraphTestHost.PostAsync(host, GraphTestHost.Notification(id, clientState, "after-409"));
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Equal(1, await GraphTestHost.CountJobsAsync(host, IngestJobState.Queued));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task ReauthorizationRequired_is_answered_202_and_the_worker_renews_the_subscription(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (id, clientState) = await GraphTestHost.SubscribeAsync(host, graph);

        using var response = await GraphTestHost.PostAsync(host, GraphTestHost.Lifecycle(id, clientState, "reauthorizationRequired"), "/webhooks/graph/lifecycle");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        Assert.Empty(graph.Seen("PATCH", "/v1.0/subscriptions/"));

        await host.RunIngestJobsAsync();

        Assert.Single(graph.Seen("PATCH", $"/v1.0/subscriptions/{id}"));
        Assert.Equal(1, await GraphTestHost.CountJobsAsync(host, IngestJobState.Done, "lifecycle"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task SubscriptionRemoved_recreates_the_subscription_then_catches_up_with_delta(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (id, clientState) = await GraphTestHost.SubscribeAsync(host, graph);

        using var response = await GraphTestHost.PostAsync(host, GraphTestHost.Lifecycle(id, clientState, "subscriptionRemoved"), "/webhooks/graph/lifecycle");
        Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        await host.RunIngestJobsAsync();

        var replacement = await host.Services.GetRequiredService<GraphSubscriptionStore>().FindByMailboxAsync(GraphTestHost.Mailbox, CancellationToken.None);
        Assert.NotEqual(id, replacement!.Id);
        Assert.Equal(2, graph.Seen("POST", "/v1.0/subscriptions").Count());
        Assert.Equal(2, graph.DeltaRequests.Count);
        Assert.Equal(3, await GraphTestHost.CountAsync(host, "messages"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Missed_runs_the_delta_query_through_its_pages_ingests_what_it_reports_and_keeps_the_delta_link(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (id, clientState) = await GraphTestHost.SubscribeAsync(host, graph);

        using (var response = await GraphTestHost.PostAsync(host, GraphTestHost.Lifecycle(id, clientState, "missed"), "/webhooks/graph/lifecycle"))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await host.RunIngestJobsAsync();

        var rounds = graph.DeltaRequests;
        Assert.Equal(2, rounds.Count);
        var first = Uri.UnescapeDataString(rounds[0].Query);
        Assert.Contains("changeType=created", first, StringComparison.Ordinal);
        Assert.Contains("$filter=receivedDateTime ge ", first, StringComparison.Ordinal);
        Assert.Contains("$skiptoken=", rounds[1].Query, StringComparison.Ordinal);
        Assert.Equal(3, await GraphTestHost.CountAsync(host, "messages"));
        Assert.Single(graph.Fetches("delta-msg-1"));
        Assert.Single(graph.Fetches("delta-msg-3"));
        Assert.Empty(graph.Fetches("delta-msg-gone"));
        var cursor = await host.Services.GetRequiredService<IngestCursors>().GetAsync("graph", GraphTestHost.Mailbox, CancellationToken.None);
        Assert.Equal($"{graph.BaseUrl}/users/support%40contoso.example/mailFolders/inbox/messages/delta?$deltatoken=LztZwWjo5IivWBhyxw5rACKxf7mPm0oW6JZZ7fvKxYPS_67JnEYmfQQMPccy6FRun0DWJF5775dvuXxlZnMYhBubC1v4SBVT9ZjO8f7acZI.uCdGKSBS4YxPEbn_Q5zxLSq91WhpGeT9HUwXOQZwz6LkYoSxBVU1B6ykLPM4gnwY", cursor);

        // The next catch-up starts from the stored link and moves it on.
        using (var again = await GraphTestHost.PostAsync(host, GraphTestHost.Lifecycle(id, clientState, "missed"), "/webhooks/graph/lifecycle"))
        {
            Assert.Equal(HttpStatusCode.Accepted, again.StatusCode);
        }

        await host.RunIngestJobsAsync();
        Assert.Contains("$deltatoken=LztZ", graph.DeltaRequests[^1].Query, StringComparison.Ordinal);
        Assert.EndsWith("$deltatoken=second-round", await host.Services.GetRequiredService<IngestCursors>().GetAsync("graph", GraphTestHost.Mailbox, CancellationToken.None), StringComparison.Ordinal);
        Assert.Equal(3, await GraphTestHost.CountAsync(host, "messages"));
    }

    [Fact]
    public async Task In_the_worker_role_the_service_subscribes_at_start_and_catches_up_with_delta_on_its_own()
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = GraphTestHost.Create(database, graph, new Dictionary<string, string?>
        {
            ["Sift:Roles"] = "api,worker",
            ["Sift:Graph:DeltaInterval"] = "00:00:05",
        });
        host.CreateClient().Dispose(); // starts the host and its background services

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await GraphTestHost.CountAsync(host, "messages") < 3 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        Assert.Equal(3, await GraphTestHost.CountAsync(host, "messages"));
        Assert.Single(graph.Seen("POST", "/v1.0/subscriptions"));
        Assert.NotNull(await host.Services.GetRequiredService<GraphSubscriptionStore>().FindByMailboxAsync(GraphTestHost.Mailbox, CancellationToken.None));
        Assert.NotNull(await host.Services.GetRequiredService<IngestCursors>().GetAsync("graph", GraphTestHost.Mailbox, CancellationToken.None));
    }

    [Fact]
    public async Task Two_worker_processes_on_one_database_create_one_subscription_per_mailbox()
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var settings = new Dictionary<string, string?> { ["Sift:Roles"] = "api,worker", ["Sift:Graph:DeltaInterval"] = "00:00:05" };
        await using var first = GraphTestHost.Create(database, graph, settings);
        await using var second = GraphTestHost.Create(database, graph, settings);
        first.CreateClient().Dispose();
        second.CreateClient().Dispose();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (await GraphTestHost.CountAsync(first, "messages") < 3 && clock.Elapsed < TimeSpan.FromSeconds(30))
        {
            await Task.Delay(100);
        }

        // Both services ran their loop; only the holder of the graph:subscriptions lease talked to Graph.
        Assert.Equal(3, await GraphTestHost.CountAsync(first, "messages"));
        Assert.Single(graph.Seen("POST", "/v1.0/subscriptions"));
        Assert.Equal(1, await GraphTestHost.CountAsync(first, "ingest_leases"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task An_expired_delta_link_is_dropped_and_a_new_round_starts(string engine)
    {
        await using var graph = await FakeGraphServer.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = GraphTestHost.Create(database, graph);
        var (id, clientState) = await GraphTestHost.SubscribeAsync(host, graph);
        var cursors = host.Services.GetRequiredService<IngestCursors>();
        await cursors.SetAsync("graph", GraphTestHost.Mailbox, $"{graph.BaseUrl}/users/support%40contoso.example/mailFolders/inbox/messages/delta?$deltatoken=expired", CancellationToken.None);

        using (var response = await GraphTestHost.PostAsync(host, GraphTestHost.Lifecycle(id, clientState, "missed"), "/webhooks/graph/lifecycle"))
        {
            Assert.Equal(HttpStatusCode.Accepted, response.StatusCode);
        }

        await host.RunIngestJobsAsync();

        Assert.Equal(3, graph.DeltaRequests.Count);
        Assert.Contains("changeType=created", graph.DeltaRequests[1].Query, StringComparison.Ordinal);
        Assert.Equal(3, await GraphTestHost.CountAsync(host, "messages"));
        Assert.Contains("$deltatoken=LztZ", await cursors.GetAsync("graph", GraphTestHost.Mailbox, CancellationToken.None), StringComparison.Ordinal);
        Assert.Equal(1, await GraphTestHost.CountJobsAsync(host, Sift.Ingestion.IngestJobState.Done, "lifecycle"));
    }
}
