using System.Buffers.Text;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sift.Approvals.Teams;

namespace Sift.Tests.Unit.Approvals.Teams;

public sealed class ApprovalLinkTokenTests
{
    private static readonly byte[] Key = Encoding.UTF8.GetBytes("a-test-signing-key-of-at-least-32-bytes!");
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 9, 0, 0, TimeSpan.Zero);
    private static readonly ApprovalLink Link = new(Guid.Parse("0193a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b"), ApprovalLinkToken.Approve, Now.AddHours(4), "n0nce-abcdefghijklmnop");

    [Fact]
    public void A_signed_link_verifies_and_reads_back_what_was_signed()
    {
        var verification = ApprovalLinkToken.Verify(ApprovalLinkToken.Sign(Link, Key), Key, Now);

        Assert.Equal(LinkCheck.Valid, verification.Check);
        Assert.Equal(Link, verification.Link);
    }

    [Fact]
    public void A_link_expires_at_its_expiry_and_still_says_which_message_it_was_for()
    {
        var time = new FakeTimeProvider(Now);
        var token = ApprovalLinkToken.Sign(Link, Key);

        time.Advance(TimeSpan.FromHours(4) - TimeSpan.FromSeconds(1));
        Assert.Equal(LinkCheck.Valid, ApprovalLinkToken.Verify(token, Key, time.GetUtcNow()).Check);

        time.Advance(TimeSpan.FromSeconds(1));
        var expired = ApprovalLinkToken.Verify(token, Key, time.GetUtcNow());
        Assert.Equal(LinkCheck.Expired, expired.Check);
        Assert.Equal(Link.MessageId, expired.Link!.MessageId);
    }

    [Fact]
    public void A_changed_payload_is_refused_even_when_it_reads_as_a_valid_link()
    {
        var token = ApprovalLinkToken.Sign(Link, Key);
        var signature = token.Split('.')[1];
        // The same link with the action turned from approve into reject, under the original signature.
        var forged = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"v1|{Link.MessageId:N}|reject|{Link.ExpiresAt.ToUnixTimeSeconds()}|{Link.Nonce}"));

        var verification = ApprovalLinkToken.Verify(forged + "." + signature, Key, Now);

        Assert.Equal(LinkCheck.Tampered, verification.Check);
        Assert.Null(verification.Link);
    }

    [Fact]
    public void A_later_expiry_cannot_be_written_into_a_link()
    {
        var token = ApprovalLinkToken.Sign(Link, Key);
        var longer = Base64Url.EncodeToString(Encoding.UTF8.GetBytes($"v1|{Link.MessageId:N}|approve|{Link.ExpiresAt.AddDays(30).ToUnixTimeSeconds()}|{Link.Nonce}"));

        Assert.Equal(LinkCheck.Tampered, ApprovalLinkToken.Verify(longer + "." + token.Split('.')[1], Key, Now.AddDays(1)).Check);
    }

    [Fact]
    public void A_changed_signature_is_refused()
    {
        var token = ApprovalLinkToken.Sign(Link, Key);
        var (payload, signature) = (token.Split('.')[0], token.Split('.')[1]);
        var flipped = (signature[0] == 'A' ? 'B' : 'A') + signature[1..];

        Assert.Equal(LinkCheck.Tampered, ApprovalLinkToken.Verify(payload + "." + flipped, Key, Now).Check);
        Assert.Equal(LinkCheck.Tampered, ApprovalLinkToken.Verify(payload + "." + signature[..^2], Key, Now).Check);
        Assert.Equal(LinkCheck.Tampered, ApprovalLinkToken.Verify(payload, Key, Now).Check);
    }

    [Fact]
    public void A_link_signed_with_another_key_is_refused()
    {
        var other = Encoding.UTF8.GetBytes("another-signing-key-of-at-least-32-bytes");

        Assert.Equal(LinkCheck.Tampered, ApprovalLinkToken.Verify(ApprovalLinkToken.Sign(Link, other), Key, Now).Check);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("a.b.c")]
    [InlineData("!!!.???")]
    public void Garbage_is_refused_as_tampered_not_thrown(string token) =>
        Assert.Equal(LinkCheck.Tampered, ApprovalLinkToken.Verify(token, Key, Now).Check);

    [Fact]
    public void Every_link_gets_its_own_nonce() =>
        Assert.Equal(100, Enumerable.Range(0, 100).Select(_ => ApprovalLinkToken.NewNonce()).Distinct().Count());
}
