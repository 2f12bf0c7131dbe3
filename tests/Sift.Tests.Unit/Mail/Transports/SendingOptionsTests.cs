using Microsoft.Extensions.Options;
using Sift.Ingestion.Gmail;
using Sift.Ingestion.Graph;

namespace Sift.Mail.Transports;

public sealed class SendingOptionsTests
{
    [Fact]
    public void A_mailbox_of_its_own_overrides_the_default_transport_whatever_the_case_of_its_address()
    {
        var options = new SendingOptions { Transport = "graph" };
        options.Mailboxes["Sales@Contoso.example"] = "SMTP";

        Assert.Equal("smtp", options.TransportFor("sales@contoso.example"));
        Assert.Equal("graph", options.TransportFor("support@contoso.example"));
        Assert.Equal(["smtp", "graph"], options.TransportsInUse());
    }

    [Fact]
    public void The_embedded_default_needs_no_setting()
    {
        var result = Validator().Validate(null, new SendingOptions());

        Assert.True(result.Succeeded);
    }

    [Fact]
    public void Each_transport_in_use_names_the_settings_it_misses()
    {
        var options = new SendingOptions { Transport = "gmail" };
        options.Mailboxes["sales@contoso.example"] = "smtp";
        options.Smtp.Host = "smtp.contoso.example";

        var result = Validator().Validate(null, options);

        Assert.True(result.Failed);
        Assert.Equal(
            [
                "Sift:Gmail:CredentialsFile is required by the Gmail transport (a service account key with domain-wide delegation for gmail.send and gmail.readonly).",
                "Sift:Sending:Smtp:ImapHost is required by the SMTP transport (the Sent folder is how a crash is recovered without sending twice).",
                "Sift:Sending:Smtp:ImapUsername (or Username) is required by the SMTP transport.",
                "Sift:Sending:Smtp:ImapPassword (or Password) is required by the SMTP transport.",
            ],
            result.Failures);
    }

    private static SendingOptionsValidator Validator() => new(Options.Create(new GraphOptions()), Options.Create(new GmailOptions()));
}
