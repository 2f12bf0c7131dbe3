using System.Data.Common;
using Dapper;
using Microsoft.Extensions.Options;
using Sift.Storage;

namespace Sift.Approvals.Teams;

/// <summary>A link's row: whether (and by whom) it was used.</summary>
public sealed record ApprovalLinkRow(Guid MessageId, string Action, DateTimeOffset ExpiresAt, DateTimeOffset? UsedAt, string? UsedBy);

/// <summary>
/// What the confirmation page shows of the message under review, and whether a decision was already recorded (the
/// status changes only once the workflow has acted on it, which can be a moment later).
/// </summary>
public sealed record ApprovalItem(string Status, string Mailbox, string Sender, string Subject, string? Owner, string? Draft, long Decisions);

/// <summary>The approval links' single-use table and the reads the approval pages make.</summary>
public sealed class ApprovalLinks(SiftDatabase database, IOptionsMonitor<TeamsOptions> options, TimeProvider time)
{
    /// <summary>Signs one link per action and records their nonces, so that each can act once. Returns action → full URL.</summary>
    public async Task<IReadOnlyDictionary<string, Uri>> IssueAsync(Guid messageId, DateTimeOffset expiresAt, CancellationToken cancellationToken)
    {
        var teams = options.CurrentValue;
        var key = teams.KeyBytes();
        var now = time.GetUtcNow();
        var links = new[] { ApprovalLinkToken.Approve, ApprovalLinkToken.Edit, ApprovalLinkToken.Reject }
            .Select(action => new ApprovalLink(messageId, action, expiresAt, ApprovalLinkToken.NewNonce()))
            .ToList();
        await using var connection = await database.OpenAsync(cancellationToken);
        // One statement, so that the three rows are written together on both engines.
        await database.WriteAsync(connection, transaction => connection.ExecuteAsync(new CommandDefinition(
            """
            INSERT INTO approval_links (nonce, message_id, action, expires_at, created_at)
            VALUES (@n0, @messageId, @a0, @expiresAt, @now), (@n1, @messageId, @a1, @expiresAt, @now), (@n2, @messageId, @a2, @expiresAt, @now)
            """,
            new { n0 = links[0].Nonce, a0 = links[0].Action, n1 = links[1].Nonce, a1 = links[1].Action, n2 = links[2].Nonce, a2 = links[2].Action, messageId, expiresAt, now },
            transaction,
            cancellationToken: cancellationToken)), cancellationToken);
        return links.ToDictionary(l => l.Action, l => Url(teams.PublicBaseUrl!, ApprovalLinkToken.Sign(l, key)));
    }

    public static Uri Url(Uri publicBaseUrl, string token)
    {
        var root = publicBaseUrl.AbsoluteUri.EndsWith('/') ? publicBaseUrl : new Uri(publicBaseUrl.AbsoluteUri + "/");
        return new Uri(root, "approvals/" + token);
    }

    public async Task<ApprovalLinkRow?> FindAsync(string nonce, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApprovalLinkRow>(new CommandDefinition(
            "SELECT message_id AS MessageId, action AS Action, expires_at AS ExpiresAt, used_at AS UsedAt, used_by AS UsedBy FROM approval_links WHERE nonce = @nonce",
            new { nonce }, cancellationToken: cancellationToken));
    }

    /// <summary>The message, its draft, and how many <paramref name="decisionEvent"/> events wait for its workflow (0 or 1).</summary>
    public async Task<ApprovalItem?> FindItemAsync(Guid messageId, string decisionEvent, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<ApprovalItem>(new CommandDefinition(
            """
            SELECT m.status AS Status, m.mailbox AS Mailbox, m.sender AS Sender, m.subject AS Subject, m.owner AS Owner, d.draft_text AS Draft,
                   (SELECT COUNT(*) FROM workflow_events e WHERE e.message_id = m.id AND e.name = @decisionEvent) AS Decisions
            FROM messages m LEFT JOIN drafts d ON d.message_id = m.id WHERE m.id = @messageId
            """,
            new { messageId, decisionEvent }, cancellationToken: cancellationToken));
    }

    /// <summary>
    /// Marks the link used, inside the transaction that records the decision: both happen or neither does, so a crash can
    /// neither decide twice nor spend a link without its decision. False when the link was already used.
    /// </summary>
    public static Func<DbConnection, DbTransaction, CancellationToken, Task<bool>> Claim(string nonce, string by, DateTimeOffset now) =>
        async (connection, transaction, cancellationToken) => await connection.ExecuteAsync(new CommandDefinition(
            "UPDATE approval_links SET used_at = @now, used_by = @by WHERE nonce = @nonce AND used_at IS NULL",
            new { nonce, by, now }, transaction, cancellationToken: cancellationToken)) == 1;
}
