using Microsoft.Graph.Models;
using Sift.Ingestion.Graph;
using GraphEmailAddress = Microsoft.Graph.Models.EmailAddress;

namespace Sift.Tests.Unit.Ingestion.Graph;

public sealed class GraphMessageMappingTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 24, 8, 0, 0, TimeSpan.Zero);

    [Fact]
    public void The_unique_body_is_the_text_headers_are_lower_cased_and_joined_and_the_conversation_is_the_thread()
    {
        var message = new Message
        {
            Id = "AAMkAGI1AAAoZCfHAAA=",
            InternetMessageId = "<reply-2@initech.example>",
            ConversationId = "AAQkADOUpag6yWs=",
            Subject = "RE: Welcome to our group!",
            ReceivedDateTime = new DateTimeOffset(2026, 11, 24, 7, 59, 0, TimeSpan.Zero),
            From = new Recipient { EmailAddress = new GraphEmailAddress { Name = "Dana Swope", Address = "danas@initech.example" } },
            ToRecipients = [new Recipient { EmailAddress = new GraphEmailAddress { Address = "support@contoso.example" } }],
            CcRecipients = [new Recipient { EmailAddress = new GraphEmailAddress { Address = "boss@initech.example" } }],
            Body = new ItemBody { ContentType = BodyType.Text, Content = "Thanks!\r\n\r\nOn Monday you wrote:\r\n> Welcome to our group" },
            UniqueBody = new ItemBody { ContentType = BodyType.Text, Content = "Thanks!\r\n" },
            InternetMessageHeaders =
            [
                new InternetMessageHeader { Name = "Received", Value = "from a" },
                new InternetMessageHeader { Name = "Received", Value = "from b" },
                new InternetMessageHeader { Name = "In-Reply-To", Value = "<welcome-1@contoso.example>" },
                new InternetMessageHeader { Name = "References", Value = "<root@contoso.example> <welcome-1@contoso.example>" },
                new InternetMessageHeader { Name = "Content-Type", Value = "multipart/report; report-type=delivery-status" },
            ],
        };

        var inbound = message.ToInboundMessage(Now);

        Assert.Equal("reply-2@initech.example", inbound.InternetMessageId);
        Assert.Equal("AAQkADOUpag6yWs=", inbound.ThreadId);
        Assert.Equal("AAMkAGI1AAAoZCfHAAA=", inbound.ProviderMessageId); // what the Graph transport replies to
        Assert.Equal("Thanks!\r\n\r\nOn Monday you wrote:\r\n> Welcome to our group", inbound.Text);
        Assert.Equal("Thanks!", inbound.NewText);
        Assert.False(inbound.HtmlOnly);
        Assert.Equal("danas@initech.example", inbound.From.Address);
        Assert.Equal("Dana Swope", inbound.From.Name);
        Assert.Equal(["support@contoso.example"], inbound.To.Select(t => t.Address));
        Assert.Equal("from a\nfrom b", inbound.Header("Received"));
        Assert.Equal("welcome-1@contoso.example", inbound.InReplyTo);
        Assert.Equal(["root@contoso.example", "welcome-1@contoso.example"], inbound.References);
        Assert.Equal("multipart/report", inbound.ContentType);
        Assert.Equal(message.ReceivedDateTime, inbound.ReceivedAt);
    }

    [Fact]
    public void An_html_body_is_reduced_to_text_and_a_message_without_ids_gets_stable_ones()
    {
        var message = new Message
        {
            Id = "AAMkADhMGAAA=",
            Subject = null,
            Sender = new Recipient { EmailAddress = new GraphEmailAddress { Address = "adelev@contoso.example" } },
            Body = new ItemBody { ContentType = BodyType.Html, Content = "<html><body><p>The group represents <b>Nevada</b>.</p></body></html>" },
        };

        var inbound = message.ToInboundMessage(Now);

        Assert.Contains("The group represents Nevada.", inbound.Text, StringComparison.Ordinal);
        Assert.DoesNotContain("<", inbound.Text, StringComparison.Ordinal);
        Assert.True(inbound.HtmlOnly);
        Assert.Equal("AAMkADhMGAAA=@graph.microsoft.com", inbound.InternetMessageId);
        Assert.Equal(inbound.InternetMessageId, inbound.ThreadId);
        Assert.Equal("adelev@contoso.example", inbound.From.Address);
        Assert.Equal(string.Empty, inbound.Subject);
        Assert.Equal(Now, inbound.ReceivedAt);
    }

    [Theory]
    [InlineData("s3cret-client-state", true)]
    [InlineData("s3cret-client-statE", false)]
    [InlineData("", false)]
    [InlineData(null, false)]
    public void A_client_state_matches_only_its_stored_hash(string? presented, bool matches) =>
        Assert.Equal(matches, GraphSubscriptionStore.Matches(presented, GraphSubscriptionStore.Hash("s3cret-client-state")));
}
