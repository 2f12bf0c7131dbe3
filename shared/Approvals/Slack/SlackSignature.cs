using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sift.Approvals.Slack;

/// <summary>Why a request's signature was refused; null from <see cref="SlackSignature.Verify"/> means it is Slack's.</summary>
public sealed record SignatureRefusal(string Reason);

/// <summary>
/// Slack's v0 request signing: <c>v0=</c> + hex HMAC-SHA256 of <c>v0:{timestamp}:{raw body}</c> under the signing secret,
/// over the raw bytes as they arrived (a re-encoded form would not match), compared in constant time, and only within
/// the window around now so that a captured request cannot be played back later.
/// </summary>
public static class SlackSignature
{
    public const string TimestampHeader = "X-Slack-Request-Timestamp";
    public const string SignatureHeader = "X-Slack-Signature";

    public static SignatureRefusal? Verify(string secret, string? timestamp, string? signature, ReadOnlySpan<byte> body, DateTimeOffset now, TimeSpan window)
    {
        if (string.IsNullOrEmpty(timestamp) || string.IsNullOrEmpty(signature))
        {
            return new SignatureRefusal($"the {TimestampHeader} and {SignatureHeader} headers are required");
        }

        if (!long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return new SignatureRefusal($"{TimestampHeader} is not a Unix time in seconds");
        }

        // Both directions: a timestamp from the future is as suspect as an old one.
        if (Math.Abs(now.ToUnixTimeSeconds() - seconds) > window.TotalSeconds)
        {
            return new SignatureRefusal($"the request is stale: its timestamp is more than {window.TotalMinutes:0.#} minutes from now");
        }

        if (!signature.StartsWith("v0=", StringComparison.Ordinal))
        {
            return new SignatureRefusal($"{SignatureHeader} is not a v0 signature");
        }

        var expected = Compute(secret, timestamp, body);
        var given = Encoding.ASCII.GetBytes(signature);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(expected), given)
            ? null
            : new SignatureRefusal("the signature does not match the body (wrong signing secret, or the body was changed)");
    }

    /// <summary>The <c>v0=…</c> signature Slack sends for this timestamp and body.</summary>
    public static string Compute(string secret, string timestamp, ReadOnlySpan<byte> body)
    {
        var prefix = Encoding.ASCII.GetBytes($"v0:{timestamp}:");
        var message = new byte[prefix.Length + body.Length];
        prefix.CopyTo(message, 0);
        body.CopyTo(message.AsSpan(prefix.Length));
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), message);
        return "v0=" + Convert.ToHexStringLower(mac);
    }
}
