using System.Text;

namespace Sift.Mail;

public sealed class MimeNormalizerTests
{
    private const string Simple = """
        From: Ana Lopez <ana.lopez@customer.example>
        To: Contoso Support <support@contoso.example>
        Reply-To: billing@customer.example
        Subject: Where do I change my address?
        Date: Mon, 09 Nov 2026 14:05:00 +0100
        Message-ID: <abc-123@customer.example>
        Received: from a.example by b.example
        Received: from b.example by c.example
        MIME-Version: 1.0
        Content-Type: text/plain; charset=utf-8

        Hello, where do I change the address on my account?

        Thanks, Ana
        """;

    [Fact]
    public void A_simple_message_is_normalized()
    {
        var message = TestMail.ParseValid(Simple);

        Assert.Equal("abc-123@customer.example", message.InternetMessageId);
        Assert.Equal(new EmailAddress("ana.lopez@customer.example", "Ana Lopez"), message.From);
        Assert.Equal([new EmailAddress("support@contoso.example", "Contoso Support")], message.To);
        Assert.Equal("Where do I change my address?", message.Subject);
        Assert.Equal(new DateTimeOffset(2026, 11, 9, 13, 5, 0, TimeSpan.Zero), message.ReceivedAt);
        Assert.Equal(TimeSpan.Zero, message.ReceivedAt.Offset);
        Assert.Equal("Hello, where do I change the address on my account?\n\nThanks, Ana", message.Text.ReplaceLineEndings("\n"));
        Assert.Equal("text/plain", message.ContentType);
        Assert.Equal("abc-123@customer.example", message.ThreadId);
        Assert.Empty(message.Attachments);
    }

    [Fact]
    public void Replies_go_to_the_reply_to_address()
    {
        Assert.Equal("billing@customer.example", TestMail.ParseValid(Simple).ReplyAddress.Address);
    }

    [Fact]
    public void Header_names_are_lower_case_and_repeated_headers_are_joined_by_a_line_feed()
    {
        var message = TestMail.ParseValid(Simple);

        Assert.All(message.Headers.Keys, k => Assert.Equal(k.ToLowerInvariant(), k));
        Assert.Equal("from a.example by b.example\nfrom b.example by c.example", message.Headers["received"]);
        Assert.Equal("from a.example by b.example\nfrom b.example by c.example", message.Header("Received"));
    }

    [Fact]
    public void A_message_without_a_date_is_received_now()
    {
        var message = TestMail.ParseValid("""
            From: ana.lopez@customer.example
            Subject: No date
            Message-ID: <nodate@customer.example>

            Hello.
            """);

        Assert.Equal(TestMail.Now, message.ReceivedAt);
    }

    [Fact]
    public void An_encoded_subject_is_decoded()
    {
        var message = TestMail.ParseValid("""
            From: =?UTF-8?Q?Ren=C3=A9e?= <renee@customer.example>
            Subject: =?UTF-8?B?UsOpcG9uc2Ugw6Agdm90cmUgZGVtYW5kZQ==?=
            Message-ID: <enc@customer.example>

            Bonjour.
            """);

        Assert.Equal("Réponse à votre demande", message.Subject);
        Assert.Equal("Renée", message.From.Name);
    }

    [Fact]
    public void A_message_without_a_from_address_is_invalid_on_the_from_field()
    {
        var result = TestMail.Parse("""
            To: support@contoso.example
            Subject: Who am I?
            Message-ID: <nofrom@customer.example>

            Hello.
            """);

        Assert.Null(result.Message);
        Assert.Equal("From", result.Field);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public void An_empty_body_is_invalid()
    {
        var result = MimeNormalizer.Parse(ReadOnlyMemory<byte>.Empty, TestMail.Now);

        Assert.Null(result.Message);
        Assert.Equal("body", result.Field);
        Assert.NotNull(result.Error);
    }

    [Fact]
    public void A_body_without_subject_date_or_message_id_is_invalid()
    {
        var result = TestMail.Parse("""
            From: ana.lopez@customer.example

            Just some text.
            """);

        Assert.Null(result.Message);
        Assert.Equal("body", result.Field);
    }

    [Fact]
    public void A_message_without_a_message_id_gets_the_same_synthetic_id_from_the_same_bytes()
    {
        var bytes = Encoding.UTF8.GetBytes("From: ana.lopez@customer.example\r\nSubject: No id\r\n\r\nHello.\r\n");

        var first = MimeNormalizer.Parse(bytes, TestMail.Now).Message!;
        var second = MimeNormalizer.Parse(bytes, TestMail.Now.AddHours(1)).Message!;

        Assert.EndsWith("@sift.invalid", first.InternetMessageId, StringComparison.Ordinal);
        Assert.Equal(first.InternetMessageId, second.InternetMessageId);
        Assert.Equal(first.InternetMessageId, first.ThreadId);
    }

    [Fact]
    public void Messages_without_a_message_id_but_different_bytes_get_different_synthetic_ids()
    {
        var first = TestMail.ParseValid("From: ana.lopez@customer.example\nSubject: No id\n\nHello.\n");
        var second = TestMail.ParseValid("From: ana.lopez@customer.example\nSubject: No id\n\nHello again.\n");

        Assert.NotEqual(first.InternetMessageId, second.InternetMessageId);
    }

    [Fact]
    public void A_reply_belongs_to_the_thread_of_the_first_reference()
    {
        var message = TestMail.ParseValid("""
            From: ana.lopez@customer.example
            Subject: Re: Re: Export
            Message-ID: <third@customer.example>
            In-Reply-To: <second@contoso.example>
            References: <root@customer.example> <second@contoso.example>

            Still broken.
            """);

        Assert.Equal("second@contoso.example", message.InReplyTo);
        Assert.Equal(["root@customer.example", "second@contoso.example"], message.References);
        Assert.Equal("root@customer.example", message.ThreadId);
    }

    [Fact]
    public void A_reply_with_only_in_reply_to_belongs_to_the_thread_of_that_message()
    {
        var message = TestMail.ParseValid("""
            From: ana.lopez@customer.example
            Subject: Re: Export
            Message-ID: <second@customer.example>
            In-Reply-To: <first@contoso.example>

            Thanks.
            """);

        Assert.Equal("first@contoso.example", message.ThreadId);
    }

    [Fact]
    public void An_html_only_message_is_reduced_to_text_without_scripts_or_styles()
    {
        var message = TestMail.ParseValid("""
            From: ana.lopez@customer.example
            Subject: Html only
            Message-ID: <html@customer.example>
            MIME-Version: 1.0
            Content-Type: text/html; charset=utf-8

            <html><head><title>Ignored title</title><style>p { color: red; }</style></head>
            <body><p>Hello&nbsp;team,</p><script type="text/javascript">alert('x');</script>
            <div>The export <b>fails</b> &amp; shows an error.</div></body></html>
            """);

        Assert.Contains("team,", message.Text, StringComparison.Ordinal);
        Assert.Contains("The export fails & shows an error.", message.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("alert", message.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("color", message.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("Ignored title", message.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("<", message.Text, StringComparison.Ordinal);
        Assert.Equal("text/html", message.ContentType);
    }

    private const string WithPdf = """
        From: ana.lopez@customer.example
        Subject: Invoice attached
        Message-ID: <att@customer.example>
        MIME-Version: 1.0
        Content-Type: multipart/mixed; boundary="b1"

        --b1
        Content-Type: text/plain; charset=utf-8

        See the attached invoice.
        --b1
        Content-Type: application/pdf; name="invoice-4411.pdf"
        Content-Disposition: attachment; filename="invoice-4411.pdf"
        Content-Transfer-Encoding: base64

        JVBERi0xLjQKJeLjz9MKMSAwIG9iago8PD4+CmVuZG9iagp0cmFpbGVyCjw8Pj4KJSVFT0YK
        --b1--
        """;

    [Fact]
    public void Attachments_are_listed_by_name_and_type_and_kept_out_of_the_text()
    {
        var message = TestMail.ParseValid(WithPdf);

        var attachment = Assert.Single(message.Attachments);
        Assert.Equal("invoice-4411.pdf", attachment.Name);
        Assert.Equal("application/pdf", attachment.ContentType);
        Assert.Equal("See the attached invoice.", message.Text);
        Assert.Equal("multipart/mixed", message.ContentType);
    }

    [Fact]
    public void An_attachment_size_is_its_decoded_size()
    {
        var message = TestMail.ParseValid(WithPdf);

        Assert.Equal(54, Assert.Single(message.Attachments).Size);
    }
}
