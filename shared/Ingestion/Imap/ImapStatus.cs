using System.Collections.Concurrent;
using System.Text.Json.Serialization;

namespace Sift.Ingestion.Imap;

/// <summary>
/// What one IMAP listener is doing, for <c>GET /api/ingest/imap</c>. Counts are since this process started. The state is
/// <c>starting</c>, <c>standby</c> (another worker holds the account's lease), <c>connecting</c>, <c>syncing</c>,
/// <c>idle</c> (in IMAP IDLE), <c>polling</c>, <c>reconnecting</c> (waiting out a backoff) or <c>stopped</c>.
/// </summary>
public sealed record ImapAccountStatus(
    string Name,
    string Mailbox,
    string Folder,
    string State,
    bool Connected,
    uint? UidValidity,
    uint? LastUid,
    long Ingested,
    long Duplicates,
    long Rejected,
    int Failures,
    string? LastError,
    DateTimeOffset? LastErrorAt,
    DateTimeOffset? LastSyncAt);

/// <summary>The listeners' statuses in this process.</summary>
public sealed class ImapStatusBoard
{
    private readonly ConcurrentDictionary<string, ImapAccountStatus> _accounts = new(StringComparer.OrdinalIgnoreCase);

    public IReadOnlyList<ImapAccountStatus> Snapshot() => [.. _accounts.Values.OrderBy(a => a.Name, StringComparer.Ordinal)];

    public ImapAccountStatus? Get(string name) => _accounts.TryGetValue(name, out var status) ? status : null;

    internal void Set(ImapAccountStatus status) => _accounts[status.Name] = status;

    internal void Update(string name, Func<ImapAccountStatus, ImapAccountStatus> change)
    {
        // One listener writes its own entry; the loop only guards against a concurrent reader's snapshot.
        while (_accounts.TryGetValue(name, out var current) && !_accounts.TryUpdate(name, change(current), current))
        {
        }
    }
}

/// <summary>The payload of a rejection recorded for an unparsable message: enough to find it in the mailbox.</summary>
internal sealed record ImapRejectedMessage(string Account, string Folder, uint UidValidity, uint Uid);

[JsonSourceGenerationOptions(System.Text.Json.JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(IReadOnlyList<ImapAccountStatus>))]
[JsonSerializable(typeof(ImapRejectedMessage))]
internal sealed partial class ImapJsonContext : JsonSerializerContext;
