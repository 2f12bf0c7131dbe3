using Sift.Mail;

namespace Sift.Filtering;

public sealed class PrefilterTests
{
    private static FilterVerdict Evaluate(InboundMessage message) => Prefilter.Evaluate(message, TestMail.Mailbox);

    [Fact]
    public void An_ordinary_customer_message_passes_as_human()
    {
        Assert.Equal(FilterVerdict.Human, Evaluate(TestMail.Message()));
    }

    [Fact]
    public void A_message_carrying_the_Sift_idempotency_header_is_own_mail()
    {
        var reply = TestMail.Message().WithHeader(OutgoingReply.IdempotencyHeader, "msg-1:reply");

        Assert.Equal("own_mail", Evaluate(reply).Category);
    }

    [Fact]
    public void A_message_sent_by_the_watched_mailbox_is_own_mail_whatever_the_case_of_the_address()
    {
        var own = TestMail.Message(from: "Support@Contoso.Example");

        Assert.Equal("own_mail", Evaluate(own).Category);
    }

    [Fact]
    public void A_multipart_report_with_delivery_status_is_a_bounce()
    {
        var dsn = (TestMail.Message() with { ContentType = "multipart/report" })
            .WithHeader("Content-Type", "multipart/report; report-type=delivery-status; boundary=\"b\"");

        Assert.Equal("bounce", Evaluate(dsn).Category);
    }

    [Fact]
    public void A_multipart_report_with_an_abuse_feedback_report_is_a_feedback_report()
    {
        var arf = (TestMail.Message() with { ContentType = "multipart/report" })
            .WithHeader("Content-Type", "multipart/report; report-type=feedback-report; boundary=\"b\"");

        Assert.Equal("feedback_report", Evaluate(arf).Category);
    }

    [Fact]
    public void A_parsed_feedback_report_is_recognised_from_its_raw_content_type()
    {
        var arf = TestMail.ParseValid("""
            From: Yahoo! Mail AntiSpam Feedback <feedback@arf.mail.yahoo.example>
            To: abuse@contoso.example
            Subject: Email Feedback Report for IP 10.0.0.1
            Message-ID: <arf-1@arf.mail.yahoo.example>
            MIME-Version: 1.0
            Content-Type: multipart/report; report-type=feedback-report;
             boundary="arf"

            --arf
            Content-Type: text/plain

            This is an email abuse report.
            --arf
            Content-Type: message/feedback-report

            Feedback-Type: abuse
            --arf--
            """);

        Assert.Equal("feedback_report", Evaluate(arf).Category);
    }

    [Theory]
    [InlineData("MAILER-DAEMON@mx.customer.example")]
    [InlineData("mailer-daemon@mx.customer.example")]
    [InlineData("postmaster@customer.example")]
    public void Mail_from_a_mailer_daemon_or_postmaster_is_a_bounce(string sender)
    {
        Assert.Equal("bounce", Evaluate(TestMail.Message(from: sender)).Category);
    }

    [Fact]
    public void A_null_return_path_is_a_bounce()
    {
        Assert.Equal("bounce", Evaluate(TestMail.Message().WithHeader("Return-Path", " <> ")).Category);
    }

    [Fact]
    public void A_return_path_with_an_address_passes()
    {
        Assert.False(Evaluate(TestMail.Message().WithHeader("Return-Path", "<ana.lopez@customer.example>")).IsMachine);
    }

    [Theory]
    [InlineData("auto-replied")]
    [InlineData("auto-generated")]
    [InlineData("auto-notified")]
    public void Auto_submitted_other_than_no_is_an_auto_reply(string value)
    {
        Assert.Equal("auto_reply", Evaluate(TestMail.Message().WithHeader("Auto-Submitted", value)).Category);
    }

    [Fact]
    public void Auto_submitted_no_passes()
    {
        Assert.False(Evaluate(TestMail.Message().WithHeader("Auto-Submitted", "no")).IsMachine);
    }

    [Theory]
    [InlineData("X-Autoreply")]
    [InlineData("X-Autorespond")]
    [InlineData("X-AutoResponder")]
    public void An_autoresponder_header_is_an_auto_reply(string header)
    {
        Assert.Equal("auto_reply", Evaluate(TestMail.Message().WithHeader(header, "yes")).Category);
    }

    [Theory]
    [InlineData("All")]
    [InlineData("DR, OOF, AutoReply")]
    public void Suppressing_all_or_out_of_office_responses_is_an_auto_reply(string value)
    {
        Assert.Equal("auto_reply", Evaluate(TestMail.Message().WithHeader("X-Auto-Response-Suppress", value)).Category);
    }

    [Fact]
    public void Suppressing_only_delivery_receipts_passes()
    {
        Assert.False(Evaluate(TestMail.Message().WithHeader("X-Auto-Response-Suppress", "DR, RN, NRN")).IsMachine);
    }

    [Theory]
    [InlineData("Automatic reply: Your order question")]
    [InlineData("Auto-Reply: Re: invoice 4411")]
    [InlineData("AutoReply: support ticket")]
    [InlineData("Out of Office: back on Monday")]
    [InlineData("Out of the office until 3 March")]
    [InlineData("Abwesenheitsnotiz: Ihre Anfrage")]
    [InlineData("Réponse automatique : Votre commande")]
    [InlineData("Respuesta automática: Su pedido")]
    [InlineData("Risposta automatica: Il suo ordine")]
    [InlineData("Automatisch antwoord: Uw bestelling")]
    public void A_vacation_or_automatic_reply_subject_is_an_auto_reply(string subject)
    {
        Assert.Equal("auto_reply", Evaluate(TestMail.Message(subject: subject)).Category);
    }

    [Fact]
    public void A_german_outlook_automatic_reply_subject_is_an_auto_reply()
    {
        Assert.Equal("auto_reply", Evaluate(TestMail.Message(subject: "Automatische Antwort: Ihre Bestellung")).Category);
    }

    [Theory]
    [InlineData("Question about out of office settings")]
    [InlineData("Re: Automatic reply rules do not fire")]
    public void A_subject_that_only_mentions_automatic_replies_passes(string subject)
    {
        Assert.False(Evaluate(TestMail.Message(subject: subject)).IsMachine);
    }

    [Theory]
    [InlineData("List-Id", "<news.saasweekly.example>")]
    [InlineData("List-Unsubscribe", "<mailto:unsubscribe@saasweekly.example>")]
    public void A_list_header_marks_a_mailing_list(string header, string value)
    {
        Assert.Equal("mailing_list", Evaluate(TestMail.Message().WithHeader(header, value)).Category);
    }

    [Theory]
    [InlineData("bulk")]
    [InlineData("junk")]
    [InlineData("list")]
    public void Bulk_precedence_marks_a_mailing_list(string precedence)
    {
        Assert.Equal("mailing_list", Evaluate(TestMail.Message().WithHeader("Precedence", precedence)).Category);
    }

    [Fact]
    public void An_upstream_spam_flag_yes_is_spam()
    {
        Assert.Equal("spam", Evaluate(TestMail.Message().WithHeader("X-Spam-Flag", "YES")).Category);
    }

    [Fact]
    public void An_upstream_spam_flag_no_passes()
    {
        Assert.False(Evaluate(TestMail.Message().WithHeader("X-Spam-Flag", "NO")).IsMachine);
    }

    [Theory]
    [InlineData("5")]
    [InlineData("9")]
    public void An_exchange_spam_confidence_level_of_five_or_more_is_spam(string scl)
    {
        Assert.Equal("spam", Evaluate(TestMail.Message().WithHeader("X-MS-Exchange-Organization-SCL", scl)).Category);
    }

    [Theory]
    [InlineData("1")]
    [InlineData("-1")]
    public void A_low_exchange_spam_confidence_level_passes(string scl)
    {
        Assert.False(Evaluate(TestMail.Message().WithHeader("X-MS-Exchange-Organization-SCL", scl)).IsMachine);
    }

    [Theory]
    [InlineData("noreply@shop.example")]
    [InlineData("no-reply@shop.example")]
    [InlineData("NoReply+billing@shop.example")]
    [InlineData("donotreply@shop.example")]
    [InlineData("do-not-reply@shop.example")]
    public void A_no_reply_sender_is_no_reply(string sender)
    {
        Assert.Equal("no_reply", Evaluate(TestMail.Message(from: sender)).Category);
    }

    [Fact]
    public void A_sender_whose_name_merely_starts_with_no_passes()
    {
        Assert.False(Evaluate(TestMail.Message(from: "noah.reply@customer.example")).IsMachine);
    }

    [Theory]
    [InlineData("01-support.eml")]
    [InlineData("02-sales.eml")]
    [InlineData("03-scheduling.eml")]
    [InlineData("04-pricing.eml")]
    [InlineData("05-partner.eml")]
    [InlineData("06-vip.eml")]
    [InlineData("07-complaint.eml")]
    public void Demo_mailbox_customer_mail_passes(string file)
    {
        Assert.Equal(FilterVerdict.Human, Evaluate(RepoPaths.Sample(file)));
    }

    [Theory]
    [InlineData("08-bounce.eml", "bounce")]
    [InlineData("09-out-of-office.eml", "auto_reply")]
    [InlineData("10-newsletter.eml", "mailing_list")]
    public void Demo_mailbox_machine_mail_is_filtered(string file, string category)
    {
        Assert.Equal(category, Evaluate(RepoPaths.Sample(file)).Category);
    }

    [Theory]
    [InlineData("AUTO: Jane Smith is out of the office (returning 05/01)", "auto_reply")]
    [InlineData("Returned mail: see transcript for details", "bounce")]
    [InlineData("Undeliverable: Your order", "bounce")]
    [InlineData("Delivery Status Notification (Failure)", "bounce")]
    [InlineData("complaint about message from 192.0.2.1", "feedback_report")]
    public void Machine_subjects_are_recognised(string subject, string category)
    {
        Assert.Equal(category, Evaluate(TestMail.Message(subject: subject)).Category);
    }

    [Theory]
    [InlineData("Re: the undeliverable parcel you mentioned")]
    [InlineData("Question about out of office hours support")]
    [InlineData("Auto insurance quote")]
    [InlineData("Fwd: Undeliverable: Invoice 42")]
    [InlineData("Fw: Returned mail: see transcript for details")]
    public void Human_subjects_that_look_alike_pass(string subject)
    {
        Assert.Equal(FilterVerdict.Human, Evaluate(TestMail.Message(subject: subject)));
    }

    [Fact]
    public void A_delivery_failure_text_is_a_bounce_even_without_report_headers()
    {
        var bounce = TestMail.Message(text: "This message was created automatically by mail delivery software.\n\nA message that you sent could not be delivered.");

        Assert.Equal("bounce", Evaluate(bounce).Category);
    }

    [Fact]
    public void A_message_from_MAILER_DAEMON_with_an_empty_address_parses_and_is_a_bounce()
    {
        var message = TestMail.ParseValid("""
            From: MAILER-DAEMON <>
            To: kim@contoso.example
            Subject: Mail delivery failed
            Message-ID: <dsn-1@mx.example>
            Date: Tue, 11 Jun 2024 18:09:35 +0900

            There was an error delivering your mail.
            """);

        Assert.Equal(string.Empty, message.From.Address);
        Assert.Equal("bounce", Evaluate(message).Category);
    }

    [Theory]
    [InlineData("post_master@vtext.example")]
    [InlineData("Mail-Delivery-System@mx.example")]
    public void Delivery_system_senders_are_bounces(string from)
    {
        Assert.Equal("bounce", Evaluate(TestMail.Message(from: from)).Category);
    }

    [Fact]
    public void Bulk_mail_content_without_an_upstream_verdict_is_spam_with_its_signals_listed()
    {
        var spam = TestMail.Message(
            subject: "FREE CASH GUARANTEED FOR YOU TODAY!!",
            text: "Dear friend, click here to claim your free gift. Act now, this is a limited time offer with a money-back guarantee. To be removed from this list reply REMOVE.");

        var verdict = Evaluate(spam);

        Assert.Equal("spam", verdict.Category);
        Assert.Contains("bulk-mail phrases", verdict.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public void A_failed_DMARC_check_counts_towards_spam()
    {
        var forged = TestMail.Message(subject: "Invoice overdue!!", text: "Please click here to pay.")
            .WithHeader("Authentication-Results", "mx.contoso.example; spf=fail smtp.mailfrom=bank.example; dkim=fail; dmarc=fail header.from=bank.example");

        Assert.Equal("spam", Evaluate(forged).Category);
    }

    [Theory]
    [InlineData("X-Forefront-Antispam-Report", "CIP:203.0.113.9;CTRY:;LANG:en;SCL:5;SRV:;IPV:NLI;SFV:SPM;H:mx.example;PTR:;CAT:SPM;SFS:;DIR:INB;")]
    [InlineData("X-Forefront-Antispam-Report", "CIP:203.0.113.9;SCL:1;SFV:BLK;DIR:INB;")]
    [InlineData("X-Spam-Status", "Yes, score=7.3 required=5.0 tests=BAYES_99")]
    [InlineData("X-Spam-Flag", "YES")]
    [InlineData("X-MS-Exchange-Organization-SCL", "6")]
    public void Upstream_spam_verdicts_are_honoured(string header, string value)
    {
        Assert.Equal("spam", Evaluate(TestMail.Message().WithHeader(header, value)).Category);
    }

    [Theory]
    [InlineData("X-Forefront-Antispam-Report", "CIP:203.0.113.9;CTRY:;LANG:en;SCL:1;SRV:;IPV:NLI;SFV:NSPM;DIR:INB;")]
    [InlineData("X-Spam-Status", "No, score=0.1 required=5.0")]
    [InlineData("X-MS-Exchange-Organization-SCL", "-1")]
    public void Upstream_clean_verdicts_pass(string header, string value)
    {
        Assert.Equal(FilterVerdict.Human, Evaluate(TestMail.Message().WithHeader(header, value)));
    }

    [Fact]
    public void A_customer_quoting_a_bounce_in_a_reply_is_human()
    {
        var message = TestMail.Message(
            subject: "Re: my order",
            text: "Hi, I got the message below when I wrote to sales. Can you help?\n\nOn Mon, Mail Delivery wrote:\n> This message was created automatically by mail delivery software.") with
        {
            NewText = "Hi, I got the message below when I wrote to sales. Can you help?",
        };

        Assert.Equal(FilterVerdict.Human, Evaluate(message));
    }
}
