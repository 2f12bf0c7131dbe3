using System.Globalization;
using MailKit;
using MailKit.Security;
using Sift.Mail;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Sending;

/// <summary>
/// Replies through SMTP (a loopback sink) with the copy in the Sent folder of the Dovecot server test.sh starts: the
/// threaded MIME from the receiving mailbox, and exactly once when a real worker process is killed before or after the send.
/// </summary>
public sealed class SmtpSendingTests
{
    private const string Sender = "lena@initech.example";

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task An_auto_reply_leaves_once_threaded_from_the_receiving_mailbox_with_a_copy_in_the_Sent_folder(string engine)
    {
        var imap = TestImap.Require();
        await using var sink = new SmtpSink();
        await using var database = await TestDatabase.CreateAsync(engine);
        var sent = await imap.CreateFolderAsync("sales");
        try
        {
            await using var host = new SiftTestHost(database, Settings(sink, imap, sent));
            var messageId = $"smtp-send-{Guid.NewGuid():N}@initech.example";
            var id = await host.IngestAsync(
                TestMail.Raw(messageId, extraHeaders: "References: <first@initech.example>\r\nIn-Reply-To: <first@initech.example>\r\n"),
                mailbox: "sales@contoso.example");
            await host.RunWorkflowsAsync();

            var detail = await host.GetAsync(id);
            Assert.Equal(MessageStatus.AutoSent, detail.Status);
            var left = Assert.Single(sink.Messages);
            Assert.Equal("sales@contoso.example", left.EnvelopeFrom);
            Assert.Equal([Sender], left.EnvelopeTo);
            var reply = left.Message;
            Assert.Equal("sales@contoso.example", reply.From.Mailboxes.Single().Address);
            Assert.Equal(Sender, reply.To.Mailboxes.Single().Address);
            Assert.Equal("Re: Can we schedule a demo meeting?", reply.Subject);
            Assert.Equal(messageId, reply.InReplyTo);
            Assert.Equal(["first@initech.example", messageId], reply.References.ToArray());
            Assert.Equal("auto-replied", reply.Headers["Auto-Submitted"]);
            Assert.Equal($"send:{id:N}", reply.Headers[OutgoingReply.IdempotencyHeader]);
            Assert.Equal(detail.Draft!.DraftText.Trim(), reply.TextBody?.Trim());

            var copies = await MessageIdsAsync(imap, "sales", sent);
            Assert.Equal(reply.MessageId, Assert.Single(copies));
            var audit = Assert.Single(detail.Audit, a => a.Step == "send");
            Assert.Contains("via smtp", audit.Why, StringComparison.Ordinal);
            Assert.Contains("lint passed", audit.Why, StringComparison.Ordinal);
            Assert.False(string.IsNullOrEmpty(audit.PolicyVersion));
        }
        finally
        {
            await imap.DeleteFolderAsync("sales", sent);
        }
    }

    public static TheoryData<string, string> CrashPoints() => new()
    {
        { TestDatabase.Sqlite, "before-perform:send" },
        { TestDatabase.Sqlite, "after-perform:send" },
        { TestDatabase.Postgres, "before-perform:send" },
        { TestDatabase.Postgres, "after-perform:send" },
    };

    [Theory]
    [MemberData(nameof(CrashPoints))]
    public async Task A_worker_killed_before_or_after_the_SMTP_send_resumes_and_the_reply_leaves_exactly_once(string engine, string crashAt)
    {
        var imap = TestImap.Require();
        await using var sink = new SmtpSink();
        await using var database = await TestDatabase.CreateAsync(engine);
        var sent = await imap.CreateFolderAsync("support");
        try
        {
            var settings = Settings(sink, imap, sent, user: "support");
            await using var host = new SiftTestHost(database, settings);
            var id = await host.IngestAsync(TestMail.Raw($"smtp-crash-{Guid.NewGuid():N}@initech.example"));

            await using (var crashing = SiftProcess.StartWorker(database, crashAt, settings))
            {
                Assert.True(await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"the worker did not reach {crashAt}");
                Assert.Equal(137, crashing.ExitCode); // 128 + SIGKILL: killed, not a clean exit
            }

            Assert.NotEqual("completed", (await host.GetAsync(id)).Workflow.State);
            Assert.Equal(crashAt == "after-perform:send" ? 1 : 0, sink.Messages.Count);

            await using (SiftProcess.StartWorker(database, settings: settings))
            {
                await host.WaitForAsync(id, d => d.Workflow.State == "completed", timeoutSeconds: 60);
            }

            var detail = await host.GetAsync(id);
            Assert.Equal(MessageStatus.AutoSent, detail.Status);
            Assert.Single(sink.Messages);
            Assert.Single(await MessageIdsAsync(imap, "support", sent));
            Assert.Single(detail.Audit, a => a.Step == "send");
        }
        finally
        {
            await imap.DeleteFolderAsync("support", sent);
        }
    }

    private static Dictionary<string, string?> Settings(SmtpSink sink, TestImap imap, string sentFolder, string user = "sales") => new()
    {
        ["Sift:Sending:Transport"] = "smtp",
        ["Sift:Sending:Smtp:Host"] = "127.0.0.1",
        ["Sift:Sending:Smtp:Port"] = sink.Port.ToString(CultureInfo.InvariantCulture),
        ["Sift:Sending:Smtp:Security"] = nameof(SecureSocketOptions.None),
        ["Sift:Sending:Smtp:ImapHost"] = imap.Host,
        ["Sift:Sending:Smtp:ImapPort"] = imap.Port.ToString(CultureInfo.InvariantCulture),
        ["Sift:Sending:Smtp:ImapSecurity"] = nameof(SecureSocketOptions.None),
        ["Sift:Sending:Smtp:ImapUsername"] = user,
        ["Sift:Sending:Smtp:ImapPassword"] = imap.Password,
        ["Sift:Sending:Smtp:SentFolder"] = sentFolder,
    };

    private static async Task<string[]> MessageIdsAsync(TestImap imap, string user, string folderName)
    {
        using var client = await imap.ConnectAsync(user);
        var folder = await client.GetFolderAsync(folderName);
        await folder.OpenAsync(FolderAccess.ReadOnly);
        var summaries = folder.Count == 0 ? [] : await folder.FetchAsync(0, -1, MessageSummaryItems.Envelope);
        await client.DisconnectAsync(quit: true);
        return [.. summaries.Select(s => s.Envelope?.MessageId ?? string.Empty)];
    }
}
