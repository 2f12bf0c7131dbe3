using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sift.Mail;
using Sift.Mail.Transports;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;
using Sift.Tests.Integration.Ingestion.Gmail;

namespace Sift.Tests.Integration.Sending;

/// <summary>
/// Replies through the Gmail API (users.messages.send with raw MIME and threadId) against a loopback Google: in the
/// original's thread, as the receiving mailbox, and exactly once when the attempt stops after the send or is throttled.
/// </summary>
public sealed class GmailSendingTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 24, 9, 0, 0, TimeSpan.Zero);

    private const string Mailbox = "support@contoso.example";

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task An_auto_reply_is_sent_once_as_the_receiving_mailbox_in_the_thread_of_the_original(string engine)
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, google, new FakeTimeProvider(Start));
        var messageId = $"gmail-send-{Guid.NewGuid():N}@initech.example";
        google.Originals[(Mailbox, messageId)] = ("18c1a2b3c4d5e6aa", "18c1a2b3c4d5e600");
        var id = await host.IngestAsync(TestMail.Raw(messageId));
        await host.RunWorkflowsAsync();

        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        var sent = Assert.Single(google.Sent);
        Assert.Equal(Mailbox, sent.User);
        Assert.Equal("18c1a2b3c4d5e600", sent.ThreadId);
        Assert.Equal(Mailbox, sent.Message.From.Mailboxes.Single().Address);
        Assert.Equal("lena@initech.example", sent.Message.To.Mailboxes.Single().Address);
        Assert.Equal("Re: Can we schedule a demo meeting?", sent.Message.Subject);
        Assert.Equal(messageId, sent.Message.InReplyTo);
        Assert.Contains(messageId, sent.Message.References);
        Assert.Equal("auto-replied", sent.Message.Headers["Auto-Submitted"]);
        Assert.Equal($"send:{id:N}", sent.Message.Headers[OutgoingReply.IdempotencyHeader]);

        // The token was asked for as the mailbox, with the send scope.
        Assert.Contains(google.Assertions, a => a["sub"]?.GetValue<string>() == Mailbox
            && a["scope"]!.GetValue<string>().Split(' ').Contains("https://www.googleapis.com/auth/gmail.send"));
        var audit = Assert.Single(detail.Audit, a => a.Step == "send");
        Assert.Contains("via gmail", audit.Why, StringComparison.Ordinal);
        Assert.Contains("lint passed", audit.Why, StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(audit.PolicyVersion));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task An_attempt_stopped_after_the_send_finds_the_reply_by_its_Message_ID_and_does_not_send_again(string engine)
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        await using var host = Host(database, google, time, services => services.AddSingleton<IMailTransport>(sp =>
            new InterruptedTransport(sp.GetRequiredService<MailTransports>(), afterSend: true)));
        var id = await host.IngestAsync(TestMail.Raw($"gmail-crash-{Guid.NewGuid():N}@initech.example"));

        await host.RunWorkflowsAsync();
        Assert.Equal("queued", (await host.GetAsync(id)).Workflow.State);
        Assert.Single(google.Sent);

        time.Advance(TimeSpan.FromSeconds(5));
        await host.RunWorkflowsAsync();
        var detail = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AutoSent, detail.Status);
        Assert.Single(google.Sent);
        Assert.Contains(google.Requests, r => r.Contains("q=rfc822msgid", StringComparison.Ordinal));
        Assert.Single(detail.Audit, a => a.Step == "send");
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_send_throttled_with_429_and_Retry_After_is_retried_no_sooner_than_asked_and_sent_once(string engine)
    {
        await using var google = await FakeGoogle.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        var time = new FakeTimeProvider(Start);
        await using var host = Host(database, google, time);
        google.Script("/messages/send", 429, FakeGoogle.Fixture("error-429.json"), retryAfter: "90");
        var id = await host.IngestAsync(TestMail.Raw($"gmail-429-{Guid.NewGuid():N}@initech.example"));

        await host.RunWorkflowsAsync();
        var throttled = await host.GetAsync(id);
        Assert.Equal("queued", throttled.Workflow.State);
        Assert.Contains("429", throttled.Workflow.LastError, StringComparison.Ordinal);
        Assert.Empty(google.Sent);

        time.Advance(TimeSpan.FromSeconds(45));
        Assert.Equal(0, await host.RunWorkflowsAsync());

        time.Advance(TimeSpan.FromSeconds(46));
        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.AutoSent, (await host.GetAsync(id)).Status);
        Assert.Single(google.Sent);
    }

    private static SiftTestHost Host(TestDatabase database, FakeGoogle google, FakeTimeProvider time, Action<IServiceCollection>? more = null)
    {
        var settings = google.Settings(database.DataDirectory, Mailbox);
        settings["Sift:Sending:Transport"] = "gmail";
        return new SiftTestHost(database, settings, services =>
        {
            services.AddSingleton<TimeProvider>(time);
            more?.Invoke(services);
        });
    }
}
