using System.Text.Json;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using Microsoft.Extensions.Logging;
using Sift.Mail;
using Sift.Queue;

namespace Sift.Ingestion.Imap;

/// <summary>
/// Watches one folder of one account: takes the account's lease, connects, reads every UID past the stored cursor
/// (raw, with BODY.PEEK[] so nothing is marked read), ingests it, then advances the cursor; then waits in IDLE (re-issued
/// before RFC 2177's 29 minutes) or polls, and does it again. Any failure drops the connection and reconnects after an
/// exponential backoff with jitter. A crash between ingest and cursor re-reads the message: the Message-ID dedupe absorbs it.
/// </summary>
internal sealed partial class ImapListener(
    ImapAccountOptions account,
    ImapOptions options,
    string owner,
    MessageIntake intake,
    IngestJobs jobs,
    IngestCursors cursors,
    IngestLeases leases,
    ImapStatusBoard board,
    TimeProvider time,
    ILogger logger)
{
    /// <summary>The account's row in <c>ingest_leases</c>.</summary>
    private string LeaseName => $"imap:{account.Name}";

    public const string Source = "imap";

    /// <summary>The same limit as <c>POST /api/messages</c>: larger messages are recorded as rejected, not loaded.</summary>
    private const long MaxMessageBytes = 40 * 1024 * 1024;

    private static readonly TimeSpan ClientTimeout = TimeSpan.FromSeconds(60);

    private int _failures;
    private bool _idleBroken;

    public async Task RunAsync(CancellationToken stoppingToken)
    {
        board.Set(new ImapAccountStatus(account.Name, account.WatchedMailbox, account.Folder, "starting", false, null, null, 0, 0, 0, 0, null, null, null));
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                bool leased;
                try
                {
                    leased = await leases.TryAcquireAsync(LeaseName, owner, options.LeaseDuration, stoppingToken);
                }
                catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
                {
                    await FailedAsync(ex, stoppingToken);
                    continue;
                }

                if (!leased)
                {
                    SetState("standby", connected: false);
                    await Task.Delay(options.LeaseDuration / 3, time, stoppingToken);
                    continue;
                }

                await RunLeasedAsync(stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            SetState("stopped", connected: false);
            try
            {
                using var release = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                await leases.ReleaseAsync(LeaseName, owner, release.Token);
            }
            catch (Exception ex)
            {
                // The lease then runs out by itself.
                LogReleaseFailed(logger, ex, account.Name);
            }
        }
    }

    private async Task RunLeasedAsync(CancellationToken stoppingToken)
    {
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var keeper = KeepLeaseAsync(session);
        Exception? failure = null;
        try
        {
            await RunSessionAsync(session.Token);
        }
        catch (OperationCanceledException) when (session.IsCancellationRequested)
        {
            // Stopping, or the lease was lost: the keeper said which.
        }
        catch (Exception ex)
        {
            failure = ex;
        }
        finally
        {
            await session.CancelAsync();
            await keeper;
        }

        stoppingToken.ThrowIfCancellationRequested();
        if (failure is not null)
        {
            await FailedAsync(failure, stoppingToken);
        }
    }

    private async Task FailedAsync(Exception exception, CancellationToken stoppingToken)
    {
        _failures++;
        var delay = ImapBackoff.Delay(_failures, options.ReconnectDelay, options.MaxReconnectDelay, Random.Shared.NextDouble());
        LogFailed(logger, exception, account.Name, _failures, delay);
        var message = Describe(exception);
        var failures = _failures;
        board.Update(account.Name, s => s with { State = "reconnecting", Connected = false, Failures = failures, LastError = message, LastErrorAt = time.GetUtcNow() });
        await Task.Delay(delay, time, stoppingToken);
    }

    /// <summary>Renews the lease every third of its duration; cancels the session once it is lost or has run out.</summary>
    private async Task KeepLeaseAsync(CancellationTokenSource session)
    {
        var renewedAt = time.GetUtcNow();
        while (!session.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.LeaseDuration / 3, time, session.Token);
                if (await leases.TryAcquireAsync(LeaseName, owner, options.LeaseDuration, session.Token))
                {
                    renewedAt = time.GetUtcNow();
                    continue;
                }

                LogLeaseLost(logger, account.Name);
                await session.CancelAsync();
                return;
            }
            catch (OperationCanceledException) when (session.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The database is away: keep listening while the lease would still hold, as no one else can take it before.
                if (time.GetUtcNow() - renewedAt >= options.LeaseDuration)
                {
                    LogLeaseLost(logger, account.Name);
                    await session.CancelAsync();
                    return;
                }

                LogRenewFailed(logger, ex, account.Name);
            }
        }
    }

    private async Task RunSessionAsync(CancellationToken cancellationToken)
    {
        using var client = new ImapClient { Timeout = (int)ClientTimeout.TotalMilliseconds };
        try
        {
            await ConnectAsync(client, cancellationToken);
            var folder = string.Equals(account.Folder, "INBOX", StringComparison.OrdinalIgnoreCase)
                ? client.Inbox
                : await client.GetFolderAsync(account.Folder, cancellationToken);
            // EXAMINE unless asked to flag or move: the user's mailbox is left as it is.
            var access = account.WritesToMailbox ? FolderAccess.ReadWrite : FolderAccess.ReadOnly;
            await folder.OpenAsync(access, cancellationToken);
            var openedAt = time.GetUtcNow();
            var moveTo = string.IsNullOrWhiteSpace(account.MoveTo) ? null : await client.GetFolderAsync(account.MoveTo, cancellationToken);
            var idle = account.UseIdle && !_idleBroken && client.Capabilities.HasFlag(ImapCapabilities.Idle);
            LogConnected(logger, account.Name, account.Folder, folder.UidValidity, idle);

            // New mail announced at any time (during a search, a fetch or IDLE) sets the flag; IDLE is ended by it.
            var changed = 0;
            CancellationTokenSource? idleDone = null;
            void OnCountChanged(object? sender, EventArgs e)
            {
                Volatile.Write(ref changed, 1);
                idleDone?.Cancel();
            }

            folder.CountChanged += OnCountChanged;
            try
            {
                while (true)
                {
                    Volatile.Write(ref changed, 0);
                    if (time.GetUtcNow() - openedAt >= account.IdleRefresh)
                    {
                        // Selected again now and then: a server tells a session nothing when its folder is deleted and
                        // created anew (a new UIDVALIDITY), and only a fresh SELECT shows it.
                        await folder.OpenAsync(access, cancellationToken);
                        openedAt = time.GetUtcNow();
                    }

                    await SyncAsync(folder, moveTo, cancellationToken);
                    if (_failures != 0)
                    {
                        // Working again: the next failure starts the backoff from the beginning. The last error stays visible.
                        _failures = 0;
                        board.Update(account.Name, s => s with { Failures = 0 });
                    }

                    if (Volatile.Read(ref changed) == 1)
                    {
                        continue;
                    }

                    if (idle)
                    {
                        SetState("idle", connected: true);
                        using (idleDone = new CancellationTokenSource(account.IdleRefresh, time))
                        {
                            try
                            {
                                await client.IdleAsync(idleDone.Token, cancellationToken);
                            }
                            catch (ImapCommandException ex)
                            {
                                // The server refused IDLE: poll from now on.
                                LogIdleRefused(logger, ex, account.Name);
                                _idleBroken = true;
                                idle = false;
                            }
                            finally
                            {
                                idleDone = null;
                            }
                        }
                    }
                    else
                    {
                        SetState("polling", connected: true);
                        await Task.Delay(account.PollInterval, time, cancellationToken);
                        await client.NoOpAsync(cancellationToken);
                    }
                }
            }
            finally
            {
                folder.CountChanged -= OnCountChanged;
            }
        }
        finally
        {
            await DisconnectAsync(client);
        }
    }

    private async Task ConnectAsync(ImapClient client, CancellationToken cancellationToken)
    {
        SetState("connecting", connected: false);
        await client.ConnectAsync(account.Host, account.EffectivePort, account.Security, cancellationToken);
        if (!string.IsNullOrEmpty(account.AccessToken))
        {
            await client.AuthenticateAsync(new SaslMechanismOAuth2(account.Username, account.AccessToken), cancellationToken);
        }
        else
        {
            await client.AuthenticateAsync(account.Username, account.Password ?? string.Empty, cancellationToken);
        }
    }

    /// <summary>Ingests every UID past the cursor, in order, advancing the cursor after each.</summary>
    private async Task SyncAsync(IMailFolder folder, IMailFolder? moveTo, CancellationToken cancellationToken)
    {
        var validity = folder.UidValidity;
        var stored = await cursors.GetAsync(Source, account.Name, cancellationToken);
        ImapCursor cursor;
        if (ImapCursor.TryParse(stored, out var parsed) && parsed.UidValidity == validity)
        {
            cursor = parsed;
        }
        else
        {
            cursor = new ImapCursor(validity, 0);
            if (stored is not null)
            {
                // UIDVALIDITY changed (the folder was recreated or the server renumbered it): every UID is new again.
                // Reading the folder again is safe: messages already ingested are recognized by their Message-ID.
                LogRescan(logger, account.Name, stored, validity);
            }
            else if (account.SkipExisting && folder.UidNext is { } next && next.Id > 1)
            {
                cursor = new ImapCursor(validity, next.Id - 1);
            }

            await cursors.SetAsync(Source, account.Name, cursor.ToString(), cancellationToken);
        }

        board.Update(account.Name, s => s with { State = "syncing", Connected = true, UidValidity = validity, LastUid = cursor.LastUid });
        while (cursor.LastUid < uint.MaxValue - 1)
        {
            var range = new UniqueIdRange(new UniqueId(validity, cursor.LastUid + 1), UniqueId.MaxValue);
            // "n:*" always matches the last message, even below n: keep only what is really new.
            var last = cursor.LastUid;
            var found = await folder.FetchAsync(range, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Size | MessageSummaryItems.InternalDate), cancellationToken);
            var summaries = found
                .Where(summary => summary.UniqueId.Id > last)
                .OrderBy(summary => summary.UniqueId.Id)
                .ToList();
            if (summaries.Count == 0)
            {
                break;
            }

            foreach (var summary in summaries)
            {
                var uid = summary.UniqueId;
                try
                {
                    await IngestAsync(folder, summary, moveTo, cancellationToken);
                    _poisonUid = 0;
                    _poisonFailures = 0;
                }
                catch (Exception ex) when (ex is not OperationCanceledException && SetAside(uid, ex))
                {
                    // The same message failed too often (or cannot succeed): recorded as rejected, and the cursor moves past
                    // it, so that one message never stops the mail behind it.
                    await RejectAsync(uid, $"set aside after {_poisonFailures} failed attempt(s): {ex.Message}", cancellationToken);
                    _poisonUid = 0;
                    _poisonFailures = 0;
                }

                cursor = cursor with { LastUid = uid.Id };
                await cursors.SetAsync(Source, account.Name, cursor.ToString(), cancellationToken);
                board.Update(account.Name, s => s with { LastUid = uid.Id });
            }
        }

        board.Update(account.Name, s => s with { LastSyncAt = time.GetUtcNow() });
    }

    /// <summary>Attempts on one failing message (across reconnects) before it is set aside.</summary>
    internal const int PoisonAttempts = 3;

    private uint _poisonUid;
    private int _poisonFailures;

    /// <summary>
    /// Counts a failure of <paramref name="uid"/>; true when it should be set aside rather than retried. An outage (the
    /// database, Redis, the connection) is not the message's fault: it is retried however long it lasts, never set aside.
    /// </summary>
    private bool SetAside(UniqueId uid, Exception exception)
    {
        if (IngestErrors.IsTransient(exception) || exception is MailKit.ProtocolException or MailKit.ServiceNotConnectedException or MailKit.CommandException)
        {
            return false;
        }

        _poisonFailures = _poisonUid == uid.Id ? _poisonFailures + 1 : 1;
        _poisonUid = uid.Id;
        return IngestErrors.IsPermanent(exception) || _poisonFailures >= PoisonAttempts;
    }

    private async Task IngestAsync(IMailFolder folder, IMessageSummary summary, IMailFolder? moveTo, CancellationToken cancellationToken)
    {
        var uid = summary.UniqueId;
        if (summary.Size > MaxMessageBytes)
        {
            await RejectAsync(uid, $"the message is {summary.Size / 1024 / 1024} MB; messages up to {MaxMessageBytes / 1024 / 1024} MB are ingested", cancellationToken);
            return;
        }

        byte[] raw;
        try
        {
            // An empty section is BODY.PEEK[]: the whole message, without setting \Seen.
            await using var stream = await folder.GetStreamAsync(uid, string.Empty, cancellationToken);
            using var buffer = new MemoryStream();
            await stream.CopyToAsync(buffer, cancellationToken);
            raw = buffer.ToArray();
        }
        catch (MessageNotFoundException)
        {
            // Expunged since the search: nothing to ingest.
            return;
        }

        // A message without a Date header is dated by the server's arrival time (INTERNALDATE).
        var parsed = MimeNormalizer.Parse(raw, summary.InternalDate?.ToUniversalTime() ?? time.GetUtcNow());
        if (parsed.Message is null)
        {
            await RejectAsync(uid, parsed.Error ?? "not a parsable message", cancellationToken);
            return;
        }

        var result = await intake.IngestAsync(account.WatchedMailbox, parsed.Message, Source, cancellationToken);
        board.Update(account.Name, s => result.Created ? s with { Ingested = s.Ingested + 1 } : s with { Duplicates = s.Duplicates + 1 });
        if (account.MarkSeen)
        {
            await folder.StoreAsync([uid], new StoreFlagsRequest(StoreAction.Add, MessageFlags.Seen) { Silent = true }, cancellationToken);
        }

        if (moveTo is not null)
        {
            await folder.MoveToAsync(uid, moveTo, cancellationToken);
        }
    }

    private async Task RejectAsync(UniqueId uid, string reason, CancellationToken cancellationToken)
    {
        var payload = JsonSerializer.Serialize(new ImapRejectedMessage(account.Name, account.Folder, uid.Validity, uid.Id), ImapJsonContext.Default.ImapRejectedMessage);
        await jobs.RecordRejectionAsync(new IngestJobRequest(Source, "message", account.WatchedMailbox, payload), $"UID {uid.Id} in {account.Name}/{account.Folder}: {reason}", cancellationToken);
        board.Update(account.Name, s => s with { Rejected = s.Rejected + 1 });
        LogRejected(logger, account.Name, uid.Id);
    }

    private static async Task DisconnectAsync(ImapClient client)
    {
        if (!client.IsConnected)
        {
            return;
        }

        try
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
            await client.DisconnectAsync(quit: true, timeout.Token);
        }
        catch (Exception)
        {
            // The connection is being dropped anyway (stopping, lost lease, or already broken).
        }
    }

    private void SetState(string state, bool connected) => board.Update(account.Name, s => s with { State = state, Connected = connected });

    /// <summary>An error for the status: the type and message, never credentials (MailKit does not echo them).</summary>
    private static string Describe(Exception exception) => $"{exception.GetType().Name}: {exception.Message}";

    [LoggerMessage(Level = LogLevel.Information, Message = "IMAP {Account}: watching {Folder} (UIDVALIDITY {UidValidity}, IDLE: {Idle})")]
    private static partial void LogConnected(ILogger logger, string account, string folder, uint uidValidity, bool idle);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP {Account}: failure {Failures}; reconnecting in {Delay}")]
    private static partial void LogFailed(ILogger logger, Exception exception, string account, int failures, TimeSpan delay);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP {Account}: UIDVALIDITY changed (cursor {Cursor}, now {UidValidity}); reading the folder again")]
    private static partial void LogRescan(ILogger logger, string account, string cursor, uint uidValidity);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP {Account}: UID {Uid} cannot be ingested (unparsable or too large); recorded as rejected and skipped")]
    private static partial void LogRejected(ILogger logger, string account, uint uid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP {Account}: the server refused IDLE; polling instead")]
    private static partial void LogIdleRefused(ILogger logger, Exception exception, string account);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP {Account}: the lease was lost to another worker; disconnecting")]
    private static partial void LogLeaseLost(ILogger logger, string account);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP {Account}: could not renew the lease; still within it")]
    private static partial void LogRenewFailed(ILogger logger, Exception exception, string account);

    [LoggerMessage(Level = LogLevel.Warning, Message = "IMAP {Account}: could not release the lease; it runs out by itself")]
    private static partial void LogReleaseFailed(ILogger logger, Exception exception, string account);
}
