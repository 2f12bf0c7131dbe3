using MimeKit;
using Sift.Filtering;

namespace Sift.Mail;

public sealed class OutgoingReplyTests
{
    private static readonly InboundMessage Inbound = TestMail.Message(subject: "Export fails") with
    {
        InternetMessageId = "second@customer.example",
        InReplyTo = "first@contoso.example",
        References = ["root@customer.example", "first@contoso.example"],
        ThreadId = "root@customer.example",
    };

    private static OutgoingReply Reply(InboundMessage inbound, bool automatic) => new(
        Guid.Parse("0d7c0a52-0000-4000-8000-000000000002"),
        TestMail.Mailbox,
        inbound,
        "Thanks, we are looking into it.",
        automatic,
        "msg:0d7c0a52:reply");

    [Fact]
    public void Every_attempt_gives_the_reply_the_same_Message_ID_derived_from_its_key()
    {
        var reply = Reply(Inbound, automatic: true);

        Assert.Equal(reply.MimeMessageId, reply.ToMime(TestMail.Now).MessageId);
        Assert.Equal(reply.MimeMessageId, reply.ToMime(TestMail.Now.AddMinutes(5)).MessageId);
        Assert.Equal("msg.0d7c0a52.reply.0d7c0a5200004000800000000000000" + "2@sift.invalid", reply.MimeMessageId);
    }

    [Fact]
    public void A_reply_is_threaded_after_the_message_it_answers()
    {
        var mime = Reply(Inbound, automatic: true).ToMime(TestMail.Now);

        Assert.Equal("second@customer.example", mime.InReplyTo);
        Assert.Equal(["root@customer.example", "first@contoso.example", "second@customer.example"], mime.References);
    }

    [Fact]
    public void A_reply_goes_from_the_mailbox_to_the_sender_with_the_draft_text()
    {
        var mime = Reply(Inbound, automatic: true).ToMime(TestMail.Now);

        Assert.Equal(TestMail.Mailbox, Assert.Single(mime.From.Mailboxes).Address);
        Assert.Equal("ana.lopez@customer.example", Assert.Single(mime.To.Mailboxes).Address);
        Assert.Equal("Thanks, we are looking into it.", mime.TextBody);
    }

    [Fact]
    public void A_reply_goes_to_the_reply_to_address_when_there_is_one()
    {
        var inbound = Inbound with { ReplyTo = new EmailAddress("billing@customer.example") };

        var mime = Reply(inbound, automatic: true).ToMime(TestMail.Now);

        Assert.Equal("billing@customer.example", Assert.Single(mime.To.Mailboxes).Address);
    }

    [Fact]
    public void The_subject_is_prefixed_with_re()
    {
        Assert.Equal("Re: Export fails", Reply(Inbound, automatic: true).ToMime(TestMail.Now).Subject);
    }

    [Theory]
    [InlineData("Re: Export fails")]
    [InlineData("RE: Export fails")]
    public void A_subject_that_already_starts_with_re_is_kept(string subject)
    {
        Assert.Equal(subject, Reply(Inbound with { Subject = subject }, automatic: true).ToMime(TestMail.Now).Subject);
    }

    [Fact]
    public void A_reply_carries_its_idempotency_key()
    {
        var mime = Reply(Inbound, automatic: false).ToMime(TestMail.Now);

        Assert.Equal("msg:0d7c0a52:reply", mime.Headers[OutgoingReply.IdempotencyHeader]);
    }

    [Fact]
    public void An_automatic_reply_is_marked_auto_submitted()
    {
        var mime = Reply(Inbound, automatic: true).ToMime(TestMail.Now);

        Assert.Equal("auto-replied", mime.Headers["Auto-Submitted"]);
    }

    [Fact]
    public void A_reply_a_human_approved_is_not_marked_auto_submitted()
    {
        var mime = Reply(Inbound, automatic: false).ToMime(TestMail.Now);

        Assert.Null(mime.Headers["Auto-Submitted"]);
    }

    [Fact]
    public void A_sent_reply_read_back_stays_in_the_thread_and_is_dropped_as_own_mail()
    {
        using var wire = new MemoryStream();
        Reply(Inbound, automatic: false).ToMime(TestMail.Now).WriteTo(FormatOptions.Default, wire, TestContext.Current.CancellationToken);

        var readBack = MimeNormalizer.Parse(wire.ToArray(), TestMail.Now).Message!;

        Assert.Equal(Inbound.ThreadId, readBack.ThreadId);
        Assert.Equal("own_mail", Prefilter.Evaluate(readBack, "someone-else@contoso.example").Category);
    }
}
