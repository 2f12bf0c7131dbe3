using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Kiota.Abstractions.Authentication;
using Microsoft.Kiota.Authentication.Azure;
using Sift.Mail;
using Sift.Mail.Transports;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;
using Sift.Tests.Integration.Ingestion.Graph;

namespace Sift.Tests.Integration.Sending;

/// <summary>
/// Replies through Microsoft Graph (createReply, PATCH, send) against a loopback Graph: in the thread, from the mailbox
/// that received the mail, and exactly once whether the attempt stops before the send, after it, between the draft
/// and the send, or is throttled.
/// </summary>
public sealed class GraphSendingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private const string Sender = "lena@initech.example";

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task An_auto_reply_leaves_once_from_the_receiving_mailbox_in_the_thread_of_the_original(string engine)
    {
        await using var graph = await FakeGraphMailbox.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, graph, new FakeTimeProvider(Start));
        var messageId = $"graph-send-{Guid.NewGuid():N}@initech.example";

        // The same mail reached two mailboxes: the reply must come from the one whose copy is triaged.
        graph.AddOriginal("support@contoso.example", messageId, Sender, "Can we schedule a demo meeting?");
        var original = graph.AddOriginal("sales@contoso.example", messageId, Sender, "Can we schedule a demo meeting?");
        var id = await host.IngestAsync(TestMail.Raw(messageId), mailbox: "sales@contoso.example");
        await host.RunWorkflowsAsync();

        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        Assert.Single(graph.Seen("POST", $"/users/sales@contoso.example/messages/{original}/createReply"));
        Assert.Empty(graph.Seen("POST", "/users/support@contoso.example/messages"));
        var sent = Assert.Single(graph.Sent);
        Assert.Equal($"conv-{original}", sent["conversationId"]!.GetValue<string>());
        Assert.Equal(Sender, sent["toRecipients"]![0]!["emailAddress"]!["address"]!.GetValue<string>());
        Assert.Equal("text", sent["body"]!["contentType"]!.GetValue<string>(), ignoreCase: true);
        Assert.Equal(detail.Draft!.DraftText, sent["body"]!["content"]!.GetValue<string>());
        var key = $"send:{id:N}";
        Assert.Equal(key, Property(sent, GraphTransport.KeyPropertyId));
        Assert.Contains(sent["internetMessageHeaders"]!.AsArray(), h => h!["name"]!.GetValue<string>() == OutgoingReply.IdempotencyHeader && h["value"]!.GetValue<string>() == key);
        Assert.Empty(graph.Drafts);

        var audit = Assert.Single(detail.Audit, a => a.Step == "send");
        Assert.Equal("reply sent automatically", audit.What);
        Assert.Contains("via graph", audit.Why, StringComparison.Ordinal);
        Assert.Contains("lint passed", audit.Why, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(audit.PolicyVersion));
        Assert.Equal(detail.Audit.Single(a => a.Step == "route").PolicyVersion, audit.PolicyVersion);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task An_edited_approval_sends_the_reviewers_text_once_and_its_audit_says_so(string engine)
    {
        await using var graph = await FakeGraphMailbox.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, graph, new FakeTimeProvider(Start));
        var original = graph.AddOriginal(SiftTestHost.Mailbox, "20261102081437.4f2a91@acme.example", "dana.reyes@acme.example", "Dashboard shows an error right after login");
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));
        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.AwaitingReview, (await host.GetAsync(id)).Status);
        Assert.Empty(graph.Seen("POST", "/createReply"));

        using (var decision = await host.DecideAsync(id, "edit", "Hello Dana, the login error is fixed. Sorry for the trouble."))
        {
            Assert.Equal(System.Net.HttpStatusCode.Accepted, decision.StatusCode);
        }

        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.Sent, detail.Status);
        Assert.Single(graph.Seen("POST", $"/messages/{original}/createReply"));
        var sent = Assert.Single(graph.Sent);
        Assert.Equal("Hello Dana, the login error is fixed. Sorry for the trouble.", sent["body"]!["content"]!.GetValue<string>());
        Assert.Equal("dana.reyes@acme.example", sent["toRecipients"]![0]!["emailAddress"]!["address"]!.GetValue<string>());
        var audit = Assert.Single(detail.Audit, a => a.Step == "send");
        Assert.Equal("approved reply sent", audit.What);
        Assert.Contains("the reviewer's edited text", audit.Why, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(audit.PolicyVersion));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite, true)]
    [InlineData(TestDatabase.Sqlite, false)]
    [InlineData(TestDatabase.Postgres, true)]
    [InlineData(TestDatabase.Postgres, false)]
    public async Task An_attempt_stopped_before_or_after_the_send_resumes_and_the_reply_leaves_exactly_once(string engine, bool afterSend)
    {
        await using var graph = await FakeGraphMailbox.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        InterruptedTransport? interrupted = null;
        await using var host = Host(database, graph, time, services => services.AddSingleton<IMailTransport>(sp =>
            interrupted = new InterruptedTransport(sp.GetRequiredService<MailTransports>(), afterSend)));
        var messageId = $"graph-crash-{Guid.NewGuid():N}@initech.example";
        graph.AddOriginal(SiftTestHost.Mailbox, messageId, Sender, "Can we schedule a demo meeting?");
        var id = await host.IngestAsync(TestMail.Raw(messageId));

        await host.RunWorkflowsAsync();
        var stopped = await host.GetAsync(id);
        Assert.Equal("queued", stopped.Workflow.State);
        Assert.Equal(afterSend ? 1 : 0, graph.Sent.Count);

        time.Advance(TimeSpan.FromSeconds(5));
        await host.RunWorkflowsAsync();

        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        Assert.Single(graph.Sent);
        Assert.Single(graph.Seen("POST", "/createReply"));
        Assert.Single(graph.Seen("POST", "/send"));
        Assert.Empty(graph.Drafts);
        Assert.Single(detail.Audit, a => a.Step == "send");
        Assert.Equal(1, interrupted!.Interruptions);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_draft_left_by_a_failed_send_is_sent_on_the_retry_not_created_again(string engine)
    {
        await using var graph = await FakeGraphMailbox.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        await using var host = Host(database, graph, time);
        var messageId = $"graph-draft-{Guid.NewGuid():N}@initech.example";
        graph.AddOriginal(SiftTestHost.Mailbox, messageId, Sender, "Can we schedule a demo meeting?");
        graph.SendFailures.Enqueue((500, null));
        var id = await host.IngestAsync(TestMail.Raw(messageId));

        await host.RunWorkflowsAsync();
        Assert.Single(graph.Drafts);
        Assert.Empty(graph.Sent);

        time.Advance(TimeSpan.FromSeconds(5));
        await host.RunWorkflowsAsync();

        Assert.Equal(MessageStatus.AutoSent, (await host.GetAsync(id)).Status);
        Assert.Single(graph.Seen("POST", "/createReply"));
        Assert.Equal(2, graph.Seen("POST", "/send").Count);
        Assert.Single(graph.Sent);
        Assert.Empty(graph.Drafts);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_send_throttled_with_429_and_Retry_After_is_retried_no_sooner_than_asked_and_leaves_once(string engine)
    {
        await using var graph = await FakeGraphMailbox.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        await using var host = Host(database, graph, time);
        var messageId = $"graph-429-{Guid.NewGuid():N}@initech.example";
        graph.AddOriginal(SiftTestHost.Mailbox, messageId, Sender, "Can we schedule a demo meeting?");
        graph.SendFailures.Enqueue((429, "120"));
        var id = await host.IngestAsync(TestMail.Raw(messageId));

        await host.RunWorkflowsAsync();
        var throttled = await host.GetAsync(id);
        Assert.Equal("queued", throttled.Workflow.State);
        Assert.Contains("429", throttled.Workflow.LastError, StringComparison.Ordinal);

        // The workflow's own backoff (2 s) would have retried long ago; Graph asked for 120 s.
        time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(0, await host.RunWorkflowsAsync());
        Assert.Single(graph.Seen("POST", "/send"));

        time.Advance(TimeSpan.FromSeconds(61));
        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.AutoSent, (await host.GetAsync(id)).Status);
        Assert.Single(graph.Sent);
        Assert.Single(graph.Seen("POST", "/createReply"));
    }

    [Fact]
    public async Task The_Graph_transport_without_credentials_fails_at_start_naming_the_missing_settings()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?>
        {
            ["Sift:Sending:Transport"] = "smtp",
            ["Sift:Sending:Mailboxes:sales@contoso.example"] = "graph",
            ["Sift:Sending:Mailboxes:info@contoso.example"] = "pigeon",
        });

        var error = Assert.Throws<OptionsValidationException>(() => host.Services);
        Assert.Contains("Sift:Graph:TenantId", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sift:Graph:ClientSecret or Sift:Graph:CertificatePath", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sift:Sending:Smtp:Host", error.Message, StringComparison.Ordinal);
        Assert.Contains("Sift:Sending:Mailboxes:info@contoso.example is 'pigeon'", error.Message, StringComparison.Ordinal);
    }

    private static string? Property(JsonObject message, string id) =>
        message["singleValueExtendedProperties"]!.AsArray().FirstOrDefault(p => p!["id"]!.GetValue<string>() == id)?["value"]?.GetValue<string>();

    private static SiftTestHost Host(TestDatabase database, FakeGraphMailbox graph, FakeTimeProvider time, Action<IServiceCollection>? more = null) =>
        new(database,
            new Dictionary<string, string?>
            {
                ["Sift:Sending:Transport"] = "graph",
                ["Sift:Graph:TenantId"] = GraphTestHost.Tenant,
                ["Sift:Graph:ClientId"] = "8e460676-ae3f-4b1e-8790-ee0fb5d6148f",
                ["Sift:Graph:ClientSecret"] = "not-used-in-tests",
                ["Sift:Graph:BaseUrl"] = graph.BaseUrl,
            },
            services =>
            {
                services.AddSingleton<TimeProvider>(time);

                // The production provider (Azure Identity through Kiota), with a credential that never calls Entra ID.
                services.AddSingleton<IAuthenticationProvider>(new AzureIdentityAuthenticationProvider(
                    new GraphTestHost.FakeCredential(), allowedHosts: ["127.0.0.1"], scopes: ["https://graph.microsoft.com/.default"]));
                more?.Invoke(services);
            });
}

/// <summary>
/// Stops the first send as a crash would, before the transport is called or after it returned: the failure makes the
/// worker drop everything it had not committed (the send's completion included), which is what a killed process loses.
/// </summary>
internal sealed class InterruptedTransport(IMailTransport inner, bool afterSend) : IMailTransport
{
    private int _interruptions;

    public int Interruptions => _interruptions;

    public string Name => inner.Name;

    public Task<SendReceipt?> FindSentAsync(OutgoingReply reply, CancellationToken cancellationToken) => inner.FindSentAsync(reply, cancellationToken);

    public async Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref _interruptions) > 1)
        {
            Interlocked.Decrement(ref _interruptions);
            return await inner.SendAsync(reply, cancellationToken);
        }

        if (afterSend)
        {
            await inner.SendAsync(reply, cancellationToken);
        }

        throw new IOException(afterSend ? "interrupted after the send, before it was recorded" : "interrupted before the send");
    }
}
