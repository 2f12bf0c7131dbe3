using System.Globalization;
using Microsoft.Extensions.Options;
using Sift.Storage;

namespace Sift.Mail;

/// <summary>
/// The embedded default's dry-run transport: each reply becomes an .eml file in &lt;DataDirectory&gt;/outbox, named by its
/// idempotency key. The file is written to a temporary name and renamed, so it either exists whole or not at all.
/// </summary>
public sealed class OutboxFolderTransport(IOptions<StorageOptions> options, TimeProvider time) : IMailTransport
{
    public string Name => "outbox";

    public string Folder { get; } = Path.GetFullPath(Path.Combine(options.Value.DataDirectory, "outbox"));

    public Task<SendReceipt?> FindSentAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        var path = PathFor(reply.IdempotencyKey);
        return Task.FromResult(File.Exists(path)
            ? new SendReceipt(Name, Path.GetFileName(path), new DateTimeOffset(File.GetLastWriteTimeUtc(path), TimeSpan.Zero))
            : null);
    }

    public async Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Folder);
        var path = PathFor(reply.IdempotencyKey);
        var now = time.GetUtcNow();
        var temporary = $"{path}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp";
        await using (var stream = File.Create(temporary))
        {
            await reply.ToMime(now).WriteToAsync(stream, cancellationToken);
            await stream.FlushAsync(cancellationToken);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, path, overwrite: false);
        return new SendReceipt(Name, Path.GetFileName(path), now);
    }

    private string PathFor(string idempotencyKey)
    {
        var safe = string.Concat(idempotencyKey.Select(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '.' ? c : '_'));
        return Path.Combine(Folder, safe + ".eml");
    }
}
