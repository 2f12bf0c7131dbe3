using Sift.Approvals.Teams;

namespace Sift.Tests.Unit.Approvals.Teams;

public sealed class TeamsOptionsTests
{
    private const string Key = "a-test-signing-key-of-at-least-32-bytes!";

    private static TeamsOptions Complete() => new()
    {
        DefaultWebhookUrl = "https://prod-00.westeurope.logic.azure.com/workflows/1/triggers/manual/paths/invoke?sig=x",
        PublicBaseUrl = new Uri("https://sift.contoso.example/"),
        LinkSigningKey = Key,
    };

    [Fact]
    public void Without_any_setting_Teams_is_off_and_every_review_stays_in_the_console()
    {
        var options = new TeamsOptions();
        Assert.False(options.Configured);
        Assert.Null(options.WebhookFor("support-team"));
    }

    [Fact]
    public void A_partial_configuration_names_the_missing_key()
    {
        Assert.StartsWith("Sift:Teams:WebhookUrls", new TeamsOptions { LinkSigningKey = Key }.Problem(), StringComparison.Ordinal);
        Assert.Equal("Sift:Teams:PublicBaseUrl is missing", Complete().With(o => o.PublicBaseUrl = null).Problem());
        Assert.Equal("Sift:Teams:LinkSigningKey is missing", Complete().With(o => o.LinkSigningKey = null).Problem());
        Assert.Equal("Sift:Teams:LinkSigningKey is shorter than 32 bytes", Complete().With(o => o.LinkSigningKey = "short").Problem());
        Assert.Null(Complete().Problem());
    }

    [Fact]
    public void An_owners_webhook_wins_over_the_default()
    {
        var options = Complete();
        options.WebhookUrls["billing"] = "https://example.test/billing";

        Assert.Equal("https://example.test/billing", options.WebhookFor("Billing"));
        Assert.Equal(options.DefaultWebhookUrl, options.WebhookFor("support-team"));
    }

    [Fact]
    public void Links_live_until_the_deadline_plus_the_margin_capped_at_the_maximum()
    {
        var now = new DateTimeOffset(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
        var options = Complete();

        Assert.Equal(now.AddHours(4) + TimeSpan.FromDays(1), options.LinkExpiry(now.AddHours(4), now));
        Assert.Equal(now.AddDays(7), options.LinkExpiry(now.AddDays(30), now));
        options.LinkLifetime = TimeSpan.FromHours(2);
        Assert.Equal(now.AddHours(2), options.LinkExpiry(now.AddHours(4), now));
    }
}

internal static class TeamsOptionsTestExtensions
{
    /// <summary>A changed copy (the options class is mutable, as the binder needs).</summary>
    public static TeamsOptions With(this TeamsOptions options, Action<TeamsOptions> change)
    {
        change(options);
        return options;
    }
}
