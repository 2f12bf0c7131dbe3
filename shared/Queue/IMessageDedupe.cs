namespace Sift.Queue;

/// <summary>
/// A fast first check for "have we seen this Message-ID in this mailbox?". It only saves work: the unique
/// constraint on (mailbox, internet_message_id) stays the authority, so a lost or restarted cache never
/// creates a second workflow.
/// </summary>
public interface IMessageDedupe
{
    /// <summary>Returns true when the key was not seen before within its time to live, and marks it seen.</summary>
    Task<bool> TryMarkNewAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken);

    /// <summary>Forgets a key whose ingestion failed, so the sender's retry is not mistaken for a duplicate.</summary>
    Task ForgetAsync(string mailbox, string internetMessageId, CancellationToken cancellationToken);
}

public sealed class DedupeOptions
{
    public const string Section = "Sift:Dedupe";

    public TimeSpan TimeToLive { get; set; } = TimeSpan.FromDays(7);

    public int InProcessCapacity { get; set; } = 100_000;

    internal static string Key(string mailbox, string internetMessageId) =>
        $"sift:dedupe:{mailbox.ToLowerInvariant()}:{internetMessageId}";
}
