using System.Globalization;

namespace Sift.Ingestion.Imap;

/// <summary>
/// Where a folder was read up to: its UIDVALIDITY and the last UID handled, stored as <c>uidvalidity:lastuid</c> in
/// <see cref="IngestCursors"/> (source <c>imap</c>). UIDs are only comparable within one UIDVALIDITY.
/// </summary>
internal readonly record struct ImapCursor(uint UidValidity, uint LastUid)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{UidValidity}:{LastUid}");

    public static bool TryParse(string? text, out ImapCursor cursor)
    {
        cursor = default;
        var separator = text?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (text is null || separator <= 0)
        {
            return false;
        }

        if (!uint.TryParse(text.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var validity)
            || !uint.TryParse(text.AsSpan(separator + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var last)
            || validity == 0)
        {
            return false;
        }

        cursor = new ImapCursor(validity, last);
        return true;
    }
}

/// <summary>Reconnect delays: exponential from a base, capped, with jitter so that many listeners do not retry in step.</summary>
internal static class ImapBackoff
{
    /// <summary>
    /// The delay before reconnect attempt <paramref name="failures"/> (1 for the first): <c>min(cap, base * 2^(failures-1))</c>
    /// less up to a quarter of it, at random (<paramref name="random"/> in [0, 1)). Never above the cap.
    /// </summary>
    public static TimeSpan Delay(int failures, TimeSpan baseDelay, TimeSpan cap, double random)
    {
        var exponent = Math.Clamp(failures - 1, 0, 30);
        var ticks = Math.Min(cap.Ticks, baseDelay.Ticks * Math.Pow(2, exponent));
        return TimeSpan.FromTicks((long)(ticks * (1 - (0.25 * Math.Clamp(random, 0, 1)))));
    }
}
