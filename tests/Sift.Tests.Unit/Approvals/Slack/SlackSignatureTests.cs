using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sift.Approvals.Slack;

namespace Sift.Tests.Unit.Approvals.Slack;

public sealed class SlackSignatureTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMinutes(5);

    [Fact]
    public void Slacks_published_test_vector_is_accepted_and_computed_exactly()
    {
        var vector = SlackFixtures.Json("signature-test-vector.json");
        var secret = vector["signing_secret"]!.GetValue<string>();
        var timestamp = vector["headers"]!["X-Slack-Request-Timestamp"]!.GetValue<string>();
        var signature = vector["headers"]!["X-Slack-Signature"]!.GetValue<string>();
        var body = Encoding.UTF8.GetBytes(vector["body"]!.GetValue<string>());
        var now = DateTimeOffset.FromUnixTimeSeconds(vector["now_unix"]!.GetValue<long>());

        Assert.Equal(signature, SlackSignature.Compute(secret, timestamp, body));
        Assert.Null(SlackSignature.Verify(secret, timestamp, signature, body, now, Window));
    }

    [Fact]
    public void A_changed_body_a_wrong_secret_or_a_forged_signature_is_refused()
    {
        var (secret, timestamp, signature, body, now) = Vector();

        var changed = body.ToArray();
        changed[^1] ^= 1;
        Assert.Contains("does not match", SlackSignature.Verify(secret, timestamp, signature, changed, now, Window)!.Reason, StringComparison.Ordinal);
        Assert.NotNull(SlackSignature.Verify("another-secret", timestamp, signature, body, now, Window));
        Assert.NotNull(SlackSignature.Verify(secret, timestamp, "v0=" + new string('0', 64), body, now, Window));
        Assert.NotNull(SlackSignature.Verify(secret, timestamp, signature.Replace("v0=", "v1=", StringComparison.Ordinal), body, now, Window));
        Assert.NotNull(SlackSignature.Verify(secret, timestamp, signature.ToUpperInvariant(), body, now, Window));
    }

    [Fact]
    public void A_request_older_or_newer_than_five_minutes_is_refused_as_stale()
    {
        var (secret, timestamp, signature, body, now) = Vector();
        var time = new FakeTimeProvider(now);

        time.Advance(TimeSpan.FromMinutes(5));
        Assert.Null(SlackSignature.Verify(secret, timestamp, signature, body, time.GetUtcNow(), Window));

        time.Advance(TimeSpan.FromSeconds(1));
        Assert.Contains("stale", SlackSignature.Verify(secret, timestamp, signature, body, time.GetUtcNow(), Window)!.Reason, StringComparison.Ordinal);

        Assert.Contains("stale", SlackSignature.Verify(secret, timestamp, signature, body, now - TimeSpan.FromMinutes(6), Window)!.Reason, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "v0=abc", "headers are required")]
    [InlineData("1531420618", null, "headers are required")]
    [InlineData("15314x0618", "v0=abc", "not a Unix time")]
    [InlineData("-1531420618", "v0=abc", "not a Unix time")]
    public void Missing_or_malformed_headers_are_refused_with_the_reason(string? timestamp, string? signature, string reason)
    {
        var (secret, _, _, body, now) = Vector();
        Assert.Contains(reason, SlackSignature.Verify(secret, timestamp, signature, body, now, Window)!.Reason, StringComparison.Ordinal);
    }

    private static (string Secret, string Timestamp, string Signature, byte[] Body, DateTimeOffset Now) Vector()
    {
        var vector = SlackFixtures.Json("signature-test-vector.json");
        return (
            vector["signing_secret"]!.GetValue<string>(),
            vector["headers"]!["X-Slack-Request-Timestamp"]!.GetValue<string>(),
            vector["headers"]!["X-Slack-Signature"]!.GetValue<string>(),
            Encoding.UTF8.GetBytes(vector["body"]!.GetValue<string>()),
            DateTimeOffset.FromUnixTimeSeconds(vector["now_unix"]!.GetValue<long>()));
    }
}
