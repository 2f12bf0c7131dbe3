using Dapper;
using Sift.Storage;

namespace Sift.Approvals.Slack;

/// <summary>A message's review state as the Edit button needs it: whether it still waits, and the draft to prefill.</summary>
public sealed record SlackReviewItem(string Status, string? Draft);

/// <summary>The one read the interactivity endpoint makes before it answers Slack: a single indexed row.</summary>
public sealed class SlackReviews(SiftDatabase database)
{
    public async Task<SlackReviewItem?> FindAsync(Guid messageId, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        return await connection.QuerySingleOrDefaultAsync<SlackReviewItem>(new CommandDefinition(
            "SELECT m.status AS Status, d.draft_text AS Draft FROM messages m LEFT JOIN drafts d ON d.message_id = m.id WHERE m.id = @messageId",
            new { messageId }, cancellationToken: cancellationToken));
    }
}
