using System.Text.Json;
using Dapper;
using Sift.Drafting;
using Sift.Mail;
using Sift.Storage;

namespace Sift.Api;

/// <summary>The API's reads of messages, their workflow, draft and audit trail.</summary>
internal sealed class MessageQueries(SiftDatabase database)
{
    public async Task<MessageDetail?> GetAsync(Guid id, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        await using var grid = await connection.QueryMultipleAsync(new CommandDefinition(
            """
            SELECT m.id AS Id, m.mailbox AS Mailbox, m.internet_message_id AS InternetMessageId, m.thread_id AS ThreadId,
                   m.subject AS Subject, m.received_at AS ReceivedAt, m.status AS Status, m.auto_sent AS AutoSent,
                   m.intent AS Intent, m.urgency AS Urgency, m.owner AS Owner, m.policy_flags AS PolicyFlags, m.confidence AS Confidence,
                   m.route AS Route, m.explanation AS Explanation, m.filter_reason AS FilterReason, m.content AS Content,
                   m.cost_usd AS CostUsd, m.tokens_in AS TokensIn, m.tokens_out AS TokensOut,
                   w.state AS State, w.attempt AS Attempt, w.last_error AS LastError, w.wait_event AS WaitEvent,
                   w.wait_deadline AS WaitDeadline, w.updated_at AS UpdatedAt, w.completed_at AS CompletedAt
            FROM messages m JOIN workflows w ON w.message_id = m.id WHERE m.id = @id;
            SELECT id AS Id, template_id AS TemplateId, draft_text AS DraftText, decision AS Decision, approver AS Approver,
                   latency_ms AS LatencyMs, sent_text AS SentText, created_at AS CreatedAt, decided_at AS DecidedAt,
                   edit_distance AS EditDistance, edit_ratio AS EditRatio,
                   source AS Source, lint_findings AS LintFindings
            FROM drafts WHERE message_id = @id;
            SELECT id AS Id, at AS At, step AS Step, what AS What, why AS Why, actor AS Actor, model_version AS ModelVersion, policy_version AS PolicyVersion, data AS Data
            FROM audit_log WHERE message_id = @id ORDER BY id;
            SELECT at AS At, step AS Step, provider AS Provider, model AS Model, purpose AS Purpose, tokens_in AS TokensIn, tokens_out AS TokensOut,
                   tokens_estimated AS TokensEstimated, cost_usd AS CostUsd, latency_ms AS LatencyMs, outcome AS Outcome
            FROM model_calls WHERE message_id = @id ORDER BY id;
            """,
            new { id },
            cancellationToken: cancellationToken));
        var row = await grid.ReadSingleOrDefaultAsync<DetailRow>();
        if (row is null)
        {
            return null;
        }

        var draft = await grid.ReadSingleOrDefaultAsync<DraftData>();
        var audit = (await grid.ReadAsync<AuditView>()).AsList();
        // The human path's outline is the assign step's record: kept once, in the audit trail, and shown from there.
        var outline = audit.LastOrDefault(a => a.Step == "assign" && a.Data is not null) is { Data: { } outlineJson }
            ? JsonSerializer.Deserialize(outlineJson, ApiJsonContext.Default.Outline)
            : null;
        var calls = (await grid.ReadAsync<ModelCallView>()).AsList();
        var content = JsonSerializer.Deserialize(row.Content, MailJsonContext.Default.InboundMessage)!;
        return new MessageDetail(
            row.Id,
            row.Mailbox,
            row.InternetMessageId,
            row.ThreadId,
            content.From,
            row.Subject,
            row.ReceivedAt,
            row.Status,
            row.AutoSent,
            content.Text,
            content.Latest,
            content.Language,
            content.ReplyTo,
            content.Attachments,
            new ClassificationView(row.Intent, row.Urgency, row.Owner, ReadList(row.PolicyFlags, ApiJsonContext.Default.ListString), row.Confidence),
            new DecisionView(row.Route, row.FilterReason, ReadList(row.Explanation, ApiJsonContext.Default.ListRuleMatch)),
            new WorkflowView(row.State, row.Attempt, row.LastError, row.WaitEvent, row.WaitDeadline, row.UpdatedAt, row.CompletedAt),
            draft?.ToView(),
            audit,
            new CostView(row.CostUsd, row.TokensIn, row.TokensOut, calls),
            outline);
    }

    public async Task<MessagePage> ListAsync(string? status, string? mailbox, Guid? before, int limit, CancellationToken cancellationToken)
    {
        var filters = new List<string>();
        if (status is not null)
        {
            filters.Add("m.status = @status");
        }

        if (mailbox is not null)
        {
            filters.Add("m.mailbox = @mailbox");
        }

        if (before is not null)
        {
            filters.Add("m.id < @before");
        }

        var where = filters.Count == 0 ? string.Empty : "WHERE " + string.Join(" AND ", filters);
        await using var connection = await database.OpenAsync(cancellationToken);
        // Ids are UUID v7, so ordering by id is ordering by arrival, and the last id is the cursor of the next page.
        var items = (await connection.QueryAsync<MessageSummary>(new CommandDefinition(
            $"""
            SELECT m.id AS Id, m.mailbox AS Mailbox, m.sender AS Sender, m.subject AS Subject, m.received_at AS ReceivedAt,
                   m.status AS Status, m.intent AS Intent, m.urgency AS Urgency, m.owner AS Owner, m.route AS Route,
                   w.state AS WorkflowState, w.last_error AS LastError
            FROM messages m JOIN workflows w ON w.message_id = m.id
            {where}
            ORDER BY m.id DESC
            LIMIT @take
            """,
            new { status, mailbox, before, take = limit + 1 },
            cancellationToken: cancellationToken))).AsList();
        var next = items.Count > limit ? items[limit - 1].Id.ToString() : null;
        return new MessagePage([.. items.Take(limit)], next);
    }

    private static List<T> ReadList<T>(string? json, System.Text.Json.Serialization.Metadata.JsonTypeInfo<List<T>> typeInfo) =>
        json is null ? [] : JsonSerializer.Deserialize(json, typeInfo) ?? [];

    private sealed class DraftData
    {
        public Guid Id { get; init; }

        public string? TemplateId { get; init; }

        public string DraftText { get; init; } = string.Empty;

        public string? Decision { get; init; }

        public string? Approver { get; init; }

        public long? LatencyMs { get; init; }

        public string? SentText { get; init; }

        public DateTimeOffset CreatedAt { get; init; }

        public DateTimeOffset? DecidedAt { get; init; }

        public string? Source { get; init; }

        public string? LintFindings { get; init; }

        public int? EditDistance { get; init; }

        public double? EditRatio { get; init; }

        public DraftView ToView() => new()
        {
            Id = Id,
            TemplateId = TemplateId,
            DraftText = DraftText,
            Decision = Decision,
            Approver = Approver,
            LatencyMs = LatencyMs,
            SentText = SentText,
            CreatedAt = CreatedAt,
            DecidedAt = DecidedAt,
            // Drafts written before the column existed have no source: they came from a template.
            Source = Source ?? DraftSources.Template,
            LintFindings = ReadList(LintFindings, ApiJsonContext.Default.ListString),
            EditDistance = EditDistance,
            EditRatio = EditRatio,
        };
    }

    private sealed class DetailRow
    {
        public Guid Id { get; init; }

        public string Mailbox { get; init; } = string.Empty;

        public string InternetMessageId { get; init; } = string.Empty;

        public string ThreadId { get; init; } = string.Empty;

        public string Subject { get; init; } = string.Empty;

        public DateTimeOffset ReceivedAt { get; init; }

        public string Status { get; init; } = string.Empty;

        public bool AutoSent { get; init; }

        public string? Intent { get; init; }

        public string? Urgency { get; init; }

        public string? Owner { get; init; }

        public string? PolicyFlags { get; init; }

        public double? Confidence { get; init; }

        public string? Route { get; init; }

        public string? Explanation { get; init; }

        public string? FilterReason { get; init; }

        public string Content { get; init; } = string.Empty;

        public decimal CostUsd { get; init; }

        public long TokensIn { get; init; }

        public long TokensOut { get; init; }

        public string State { get; init; } = string.Empty;

        public int Attempt { get; init; }

        public string? LastError { get; init; }

        public string? WaitEvent { get; init; }

        public DateTimeOffset? WaitDeadline { get; init; }

        public DateTimeOffset UpdatedAt { get; init; }

        public DateTimeOffset? CompletedAt { get; init; }
    }
}
