using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sift.Approvals.Teams;

/// <summary>What a verified approval link says: which message, which action, until when, and its single-use nonce.</summary>
public sealed record ApprovalLink(Guid MessageId, string Action, DateTimeOffset ExpiresAt, string Nonce);

public enum LinkCheck
{
    Valid,

    /// <summary>Not a token at all, or its signature does not match (changed, or signed with another key): 400.</summary>
    Tampered,

    /// <summary>Genuine, but past its expiry: 410.</summary>
    Expired,
}

/// <summary>A token read back: the link when the signature holds (also when it expired, so the page can say which message).</summary>
public sealed record LinkVerification(LinkCheck Check, ApprovalLink? Link);

/// <summary>
/// The approval link token: <c>base64url(payload) + "." + base64url(HMAC-SHA256(key, payload))</c>, where the payload is
/// <c>v1|message id|action|expiry (Unix seconds)|nonce</c>. The signature makes the link unforgeable and unchangeable; the
/// nonce (one row in <c>approval_links</c>) makes it single-use; the expiry bounds how long a leaked link is worth anything.
/// </summary>
public static class ApprovalLinkToken
{
    public const string Approve = "approve";
    public const string Edit = "edit";
    public const string Reject = "reject";

    private const string Version = "v1";

    /// <summary>A fresh random nonce: 128 bits, base64url.</summary>
    public static string NewNonce() => Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    public static string Sign(ApprovalLink link, ReadOnlySpan<byte> key)
    {
        var payload = Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture,
            $"{Version}|{link.MessageId:N}|{link.Action}|{link.ExpiresAt.ToUnixTimeSeconds()}|{link.Nonce}"));
        return Base64Url.EncodeToString(payload) + "." + Base64Url.EncodeToString(HMACSHA256.HashData(key, payload));
    }

    public static LinkVerification Verify(string? token, ReadOnlySpan<byte> key, DateTimeOffset now)
    {
        var tampered = new LinkVerification(LinkCheck.Tampered, null);
        if (string.IsNullOrEmpty(token) || token.Length > 512 || token.Split('.') is not [var payloadPart, var macPart])
        {
            return tampered;
        }

        byte[] payload;
        byte[] mac;
        try
        {
            payload = Base64Url.DecodeFromChars(payloadPart);
            mac = Base64Url.DecodeFromChars(macPart);
        }
        catch (FormatException)
        {
            return tampered;
        }

        // The signature is checked before the payload is read: nothing unsigned is parsed.
        if (!CryptographicOperations.FixedTimeEquals(HMACSHA256.HashData(key, payload), mac))
        {
            return tampered;
        }

        string text;
        try
        {
            text = new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(payload);
        }
        catch (DecoderFallbackException)
        {
            return tampered;
        }

        if (text.Split('|') is not [Version, var id, var action, var expiry, var nonce]
            || !Guid.TryParseExact(id, "N", out var messageId)
            || action is not (Approve or Edit or Reject)
            || !long.TryParse(expiry, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds)
            || string.IsNullOrEmpty(nonce))
        {
            return tampered;
        }

        var link = new ApprovalLink(messageId, action, DateTimeOffset.FromUnixTimeSeconds(seconds), nonce);
        return new LinkVerification(now >= link.ExpiresAt ? LinkCheck.Expired : LinkCheck.Valid, link);
    }
}
