using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Options;
using Sift.Approvals.Slack;
using Sift.Mail.Transports;

namespace Sift.Approvals.Teams;

/// <summary>
/// A Teams side effect's outcome: posted (with until when the card's links work), or the error no retry can fix (the
/// review then goes on in the console, and the audit log names it).
/// </summary>
public sealed record TeamsOutcome(string? Error, DateTimeOffset? LinksExpireAt = null)
{
    public static TeamsOutcome Failed(string error) => new(error);
}

/// <summary>
/// Posts cards to Workflows webhooks. The webhook answers 202 with no id and offers no way to read a post back, so a post
/// cannot be found after a crash: a repeat is possible and harmless (see docs/approvals-teams.md).
/// </summary>
public sealed class TeamsWebhook(IHttpClientFactory httpClients, IOptionsMonitor<TeamsOptions> options, ApprovalLinks links, TimeProvider time)
{
    public const string HttpClientName = "teams";

    /// <summary>Whether reviews of this owner are posted to Teams.</summary>
    public bool PostsFor(string owner) => options.CurrentValue.WebhookFor(owner) is not null;

    /// <summary>Whether a decision is followed by a short card saying who decided.</summary>
    public bool PostsDecisions => options.CurrentValue.PostDecisions;

    /// <summary>Issues the three signed links and posts the review card to the owner's webhook.</summary>
    public async Task<TeamsOutcome> PostReviewAsync(SlackReviewCard card, CancellationToken cancellationToken)
    {
        if (options.CurrentValue.WebhookFor(card.Owner) is not { } url)
        {
            return TeamsOutcome.Failed($"Teams is no longer configured for owner {card.Owner}");
        }

        var expiresAt = options.CurrentValue.LinkExpiry(card.Deadline, time.GetUtcNow());
        var urls = await links.IssueAsync(card.MessageId, expiresAt, cancellationToken);
        return await PostAsync(url, TeamsCards.ReviewCard(card, urls, expiresAt), cancellationToken) is { } error
            ? TeamsOutcome.Failed(error)
            : new TeamsOutcome(null, expiresAt);
    }

    /// <summary>
    /// The SLA escalation: the review card again, in the fallback owner's channel, with fresh links that live
    /// <see cref="TeamsOptions.LinkMargin"/> from now (the original card's links keep working too).
    /// </summary>
    public async Task<TeamsOutcome> PostEscalationAsync(SlackReviewCard card, string fromOwner, string toOwner, DateTimeOffset deadlineMissed, CancellationToken cancellationToken)
    {
        if (options.CurrentValue.WebhookFor(toOwner) is not { } url)
        {
            return TeamsOutcome.Failed($"Teams is not configured for owner {toOwner}");
        }

        var now = time.GetUtcNow();
        var expiresAt = options.CurrentValue.LinkExpiry(now, now);
        var urls = await links.IssueAsync(card.MessageId, expiresAt, cancellationToken);
        var headline = string.Create(CultureInfo.InvariantCulture, $"No decision by {deadlineMissed.UtcDateTime:yyyy-MM-dd HH:mm} UTC (owner {fromOwner}): escalated to {toOwner}");
        return await PostAsync(url, TeamsCards.ReviewCard(card with { Owner = toOwner }, urls, expiresAt, headline), cancellationToken) is { } error
            ? TeamsOutcome.Failed(error)
            : new TeamsOutcome(null, expiresAt);
    }

    /// <summary>The short "Approved by …" card that follows a decision.</summary>
    public async Task<TeamsOutcome> PostDecisionAsync(string owner, string subject, string outcome, CancellationToken cancellationToken)
    {
        if (options.CurrentValue.WebhookFor(owner) is not { } url)
        {
            return TeamsOutcome.Failed($"Teams is no longer configured for owner {owner}");
        }

        return await PostAsync(url, TeamsCards.DecisionCard(subject, outcome), cancellationToken) is { } error ? TeamsOutcome.Failed(error) : new TeamsOutcome(null);
    }

    /// <summary>
    /// Null when the webhook took the card. A 429 or 5xx throws <see cref="TransportRetryException"/> (the workflow runner
    /// honours its Retry-After); any other status is returned: retrying cannot fix a deleted flow or a wrong URL.
    /// </summary>
    private async Task<string?> PostAsync(string url, JsonObject envelope, CancellationToken cancellationToken)
    {
        using var content = new StringContent(envelope.ToJsonString(), Encoding.UTF8, "application/json");
        using var response = await httpClients.CreateClient(HttpClientName).PostAsync(new Uri(url), content, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return null;
        }

        var status = (int)response.StatusCode;
        if (response.StatusCode is HttpStatusCode.TooManyRequests or HttpStatusCode.RequestTimeout || status >= 500)
        {
            var wait = response.Headers.RetryAfter?.Delta
                ?? (response.Headers.RetryAfter?.Date is { } date ? date - time.GetUtcNow() : null);
            throw new TransportRetryException(
                wait is { } w
                    ? string.Create(CultureInfo.InvariantCulture, $"The Teams webhook answered HTTP {status}; it asked to retry after {w.TotalSeconds:0} s.")
                    : $"The Teams webhook answered HTTP {status}.",
                wait);
        }

        // The URL carries its signature in the query: only the status is named.
        return $"the Teams webhook refused the card with HTTP {status} {response.ReasonPhrase}";
    }
}
