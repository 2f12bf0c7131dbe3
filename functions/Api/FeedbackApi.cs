using System.Globalization;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Sift.Mail;
using Sift.Privacy;
using Sift.Storage;

namespace Sift.Api;

/// <summary>
/// What reviewers did with drafts: how often each intent's and template's drafts were approved as they were, edited or
/// rejected, and by how much they were edited; and the (mail, draft, sent text) triples, the fine-tuning examples.
/// </summary>
internal static class FeedbackApi
{
    public static IEndpointRouteBuilder MapFeedbackApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/feedback").AddEndpointFilter<ApiKeyFilter>().WithTags("feedback");
        group.MapGet("/edits", EditsAsync);
        group.MapGet("/examples", ExamplesAsync);
        return app;
    }

    private static async Task<Results<Ok<EditSummary>, ValidationProblem>> EditsAsync(
        string? since, SiftDatabase database, TimeProvider time, CancellationToken cancellationToken)
    {
        if (ParseSince(since, time) is not { } from)
        {
            return Invalid("since", "since must be an ISO 8601 date or instant (e.g. 2026-11-01).");
        }

        await using var connection = await database.OpenAsync(cancellationToken);
        var rows = await connection.QueryAsync<EditRow>(new CommandDefinition(
            """
            SELECT COALESCE(m.intent, '') AS Intent, COALESCE(d.template_id, '') AS TemplateId,
                   COUNT(*) AS Decided,
                   SUM(CASE WHEN d.decision = 'approve' THEN 1 ELSE 0 END) AS Approved,
                   SUM(CASE WHEN d.decision = 'edit' THEN 1 ELSE 0 END) AS Edited,
                   SUM(CASE WHEN d.decision = 'reject' THEN 1 ELSE 0 END) AS Rejected,
                   CAST(AVG(d.edit_ratio) AS double precision) AS MeanEditRatio,
                   CAST(AVG(CASE WHEN d.decision = 'edit' THEN d.edit_distance END) AS double precision) AS MeanEditDistance,
                   CAST(AVG(d.latency_ms) AS double precision) AS MeanLatencyMs
            FROM drafts d JOIN messages m ON m.id = d.message_id
            WHERE d.decision IS NOT NULL AND d.decided_at >= @from
            GROUP BY COALESCE(m.intent, ''), COALESCE(d.template_id, '')
            ORDER BY 1, 2
            """,
            new { from },
            cancellationToken: cancellationToken));
        return TypedResults.Ok(new EditSummary(from, [.. rows.Select(r => new EditGroup(
            r.Intent, r.TemplateId, r.Decided, r.Approved, r.Edited, r.Rejected, Round(r.MeanEditRatio), Round(r.MeanEditDistance), Round(r.MeanLatencyMs)))]));
    }

    /// <summary>
    /// One JSON object per line: the mail's latest text, the draft and the text that was sent, for every edited (or, with
    /// <c>edited=false</c>, every decided) draft. Personal data is redacted unless <c>redact=false</c>.
    /// </summary>
    private static async Task<Results<PushStreamHttpResult, ValidationProblem>> ExamplesAsync(
        string? since, string? intent, bool? edited, bool? redact, int? limit, SiftDatabase database, TimeProvider time, CancellationToken cancellationToken)
    {
        if (ParseSince(since, time) is not { } from)
        {
            return Invalid("since", "since must be an ISO 8601 date or instant (e.g. 2026-11-01).");
        }

        if (limit is < 1 or > 10_000)
        {
            return Invalid("limit", "limit must be between 1 and 10000.");
        }

        var onlyEdited = edited ?? true;
        var redacted = redact ?? true;
        return TypedResults.Stream(
            async stream =>
            {
                await using var connection = await database.OpenAsync(cancellationToken);
                var rows = await connection.QueryAsync<ExampleRow>(new CommandDefinition(
                    $"""
                    SELECT m.id AS MessageId, m.intent AS Intent, d.template_id AS TemplateId, m.content AS Content, d.draft_text AS DraftText,
                           d.sent_text AS SentText, d.decision AS Decision, d.edit_distance AS EditDistance, d.edit_ratio AS EditRatio, d.decided_at AS DecidedAt
                    FROM drafts d JOIN messages m ON m.id = d.message_id
                    WHERE d.decision IS NOT NULL AND d.decided_at >= @from {(onlyEdited ? "AND d.decision = 'edit'" : string.Empty)}
                      {(intent is null ? string.Empty : "AND m.intent = @intent")}
                    ORDER BY d.decided_at LIMIT @limit
                    """,
                    new { from, intent, limit = limit ?? 1000 },
                    cancellationToken: cancellationToken));
                foreach (var row in rows)
                {
                    var mail = JsonSerializer.Deserialize(row.Content, MailJsonContext.Default.InboundMessage)!;
                    string Clean(string? text) => text is null ? string.Empty : redacted ? PiiRedactor.Redact(text).Text : text;
                    var example = new FeedbackExample(
                        row.MessageId, row.Intent, row.TemplateId, row.Decision, Clean(mail.Subject), Clean(mail.Latest), Clean(row.DraftText),
                        row.SentText is null ? null : Clean(row.SentText), row.EditDistance, row.EditRatio, row.DecidedAt, redacted);
                    await JsonSerializer.SerializeAsync(stream, example, ApiJsonContext.Default.FeedbackExample, cancellationToken);
                    await stream.WriteAsync("\n"u8.ToArray(), cancellationToken);
                }
            },
            "application/x-ndjson");
    }

    private static DateTimeOffset? ParseSince(string? since, TimeProvider time) =>
        since is null ? time.GetUtcNow().AddDays(-30)
        : DateTimeOffset.TryParse(since, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) ? parsed.ToUniversalTime()
        : null;

    private static double? Round(double? value) => value is { } v ? Math.Round(v, 3) : null;

    private static ValidationProblem Invalid(string field, string error) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [error] });

    // Classes with setters: Dapper converts each column (SQLite answers 64-bit integers, PostgreSQL 32-bit) into its property.
    private sealed class EditRow
    {
        public string Intent { get; set; } = "";

        public string TemplateId { get; set; } = "";

        public long Decided { get; set; }

        public long Approved { get; set; }

        public long Edited { get; set; }

        public long Rejected { get; set; }

        public double? MeanEditRatio { get; set; }

        public double? MeanEditDistance { get; set; }

        public double? MeanLatencyMs { get; set; }
    }

    private sealed class ExampleRow
    {
        public Guid MessageId { get; set; }

        public string? Intent { get; set; }

        public string? TemplateId { get; set; }

        public string Content { get; set; } = "";

        public string DraftText { get; set; } = "";

        public string? SentText { get; set; }

        public string Decision { get; set; } = "";

        public int? EditDistance { get; set; }

        public double? EditRatio { get; set; }

        public DateTimeOffset DecidedAt { get; set; }
    }
}

/// <summary>Reviewers' decisions per intent and template since a date.</summary>
public sealed record EditSummary(DateTimeOffset Since, IReadOnlyList<EditGroup> Groups);

/// <summary>One intent and template: decisions, how many drafts went out unchanged, edited or not at all, and the mean change.</summary>
public sealed record EditGroup(
    string Intent, string Template, long Decided, long Approved, long Edited, long Rejected, double? MeanEditRatio, double? MeanEditDistance, double? MeanLatencyMs);

/// <summary>A fine-tuning example: what the customer wrote, what Sift drafted, what a person sent instead.</summary>
public sealed record FeedbackExample(
    Guid MessageId,
    string? Intent,
    string? Template,
    string Decision,
    string Subject,
    string Incoming,
    string Draft,
    string? Sent,
    int? EditDistance,
    double? EditRatio,
    DateTimeOffset DecidedAt,
    bool Redacted);
