using Sift.Approvals.Slack;

namespace Sift.Tests.Unit.Approvals.Slack;

public sealed class SlackOptionsTests
{
    [Fact]
    public void Without_any_setting_Slack_is_off_and_every_review_stays_in_the_console()
    {
        var options = new SlackOptions();
        Assert.False(options.Configured);
        Assert.Null(options.ChannelFor("support-team"));
    }

    [Fact]
    public void A_partial_configuration_names_the_missing_key()
    {
        Assert.Equal("Sift:Slack:SigningSecret", new SlackOptions { BotToken = "xoxb-1" }.MissingKey());
        Assert.Equal("Sift:Slack:BotToken", new SlackOptions { SigningSecret = "s" }.MissingKey());
        Assert.StartsWith("Sift:Slack:Channels", new SlackOptions { BotToken = "xoxb-1", SigningSecret = "s" }.MissingKey(), StringComparison.Ordinal);
    }

    [Fact]
    public void An_owners_channel_wins_over_the_default_channel()
    {
        var options = new SlackOptions { BotToken = "xoxb-1", SigningSecret = "s", DefaultChannel = "C0DEFAULT" };
        options.Channels["billing"] = "C0BILLING";

        Assert.Equal("C0BILLING", options.ChannelFor("Billing"));
        Assert.Equal("C0DEFAULT", options.ChannelFor("support-team"));
    }
}
