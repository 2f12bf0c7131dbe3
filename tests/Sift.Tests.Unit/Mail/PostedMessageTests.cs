namespace Sift.Mail;

public sealed class PostedMessageTests
{
    private static readonly PostedMessage Valid = new()
    {
        From = "Ana Lopez <ana.lopez@customer.example>",
        To = ["support@contoso.example"],
        Subject = "Where do I change my address?",
        Text = "Hello, where do I change the address on my account?",
        Headers = new Dictionary<string, string> { ["X-Mailer"] = "Thunderbird" },
    };

    [Fact]
    public void A_complete_posted_message_is_normalized()
    {
        var message = Valid.Normalize(TestMail.Now, out var errors);

        Assert.Empty(errors);
        Assert.NotNull(message);
        Assert.Equal(new EmailAddress("ana.lopez@customer.example", "Ana Lopez"), message.From);
        Assert.Equal([new EmailAddress("support@contoso.example")], message.To);
        Assert.Equal(TestMail.Now, message.ReceivedAt);
        Assert.Equal("Thunderbird", message.Header("x-mailer"));
        Assert.Equal(message.InternetMessageId, message.ThreadId);
    }

    [Fact]
    public void Every_invalid_field_is_reported_under_its_json_property_name()
    {
        var posted = new PostedMessage { To = ["support@contoso.example", "not an address"] };

        var message = posted.Normalize(TestMail.Now, out var errors);

        Assert.Null(message);
        Assert.Equal(["from", "subject", "text", "to[1]"], errors.Keys.Order(StringComparer.Ordinal));
        Assert.All(errors.Values, messages => Assert.NotEmpty(messages));
    }

    [Theory]
    [InlineData("not-an-address")]
    [InlineData("Ana Lopez")]
    public void A_from_that_is_not_an_email_address_is_reported_on_from(string from)
    {
        var message = (Valid with { From = from }).Normalize(TestMail.Now, out var errors);

        Assert.Null(message);
        Assert.Equal(["from"], errors.Keys);
    }

    [Fact]
    public void An_invalid_reply_to_is_reported_on_reply_to()
    {
        (Valid with { ReplyTo = "nobody" }).Normalize(TestMail.Now, out var errors);

        Assert.Equal(["replyTo"], errors.Keys);
    }

    [Fact]
    public void The_first_recipient_is_reported_as_to_0()
    {
        (Valid with { To = ["@@"] }).Normalize(TestMail.Now, out var errors);

        Assert.Equal(["to[0]"], errors.Keys);
    }

    [Fact]
    public void An_empty_subject_is_allowed()
    {
        var message = (Valid with { Subject = "" }).Normalize(TestMail.Now, out var errors);

        Assert.Empty(errors);
        Assert.Equal("", message!.Subject);
    }

    [Fact]
    public void Html_alone_is_enough_and_becomes_text()
    {
        var message = (Valid with { Text = null, Html = "<p>Hello <b>team</b></p><script>alert(1)</script>" }).Normalize(TestMail.Now, out var errors);

        Assert.Empty(errors);
        Assert.Equal("Hello team", message!.Text);
    }

    [Fact]
    public void Without_a_message_id_the_same_content_gets_the_same_synthetic_id()
    {
        var first = Valid.Normalize(TestMail.Now, out _)!;
        var second = Valid.Normalize(TestMail.Now.AddMinutes(5), out _)!;
        var other = (Valid with { Text = "Something else." }).Normalize(TestMail.Now, out _)!;

        Assert.EndsWith("@sift.invalid", first.InternetMessageId, StringComparison.Ordinal);
        Assert.Equal(first.InternetMessageId, second.InternetMessageId);
        Assert.NotEqual(first.InternetMessageId, other.InternetMessageId);
    }

    [Fact]
    public void A_posted_message_id_is_kept_without_angle_brackets()
    {
        var message = (Valid with { MessageId = " <abc@customer.example> " }).Normalize(TestMail.Now, out _)!;

        Assert.Equal("abc@customer.example", message.InternetMessageId);
    }

    [Fact]
    public void A_posted_reply_belongs_to_the_thread_of_its_first_reference()
    {
        var posted = Valid with
        {
            MessageId = "<third@customer.example>",
            InReplyTo = "<second@contoso.example>",
            References = ["<root@customer.example>", "<second@contoso.example>"],
        };

        Assert.Equal("root@customer.example", posted.Normalize(TestMail.Now, out _)!.ThreadId);
    }
}
