using System.Collections.Immutable;
using System.Text;
using System.Text.Json;
using Dapper;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Sift.Classification;
using Sift.Mail;
using Sift.Policy;
using Sift.Storage;

namespace Sift.Api;

/// <summary>
/// The policy API: the running policy with its load history, the published schema, and the simulator that evaluates a
/// policy (the running one or a posted draft) against a stored or posted message with no side effect.
/// </summary>
internal static class PolicyApi
{
    public static IEndpointRouteBuilder MapPolicyApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/policy").AddEndpointFilter<ApiKeyFilter>().WithTags("policy");
        group.MapGet("/", GetAsync);
        group.MapGet("/schema", () => TypedResults.Text(PolicyLoader.SchemaText(), "application/schema+json", Encoding.UTF8));
        group.MapPost("/simulate", SimulateAsync);
        return app;
    }

    private static async Task<Ok<PolicyView>> GetAsync(PolicyStore store, SiftDatabase database, CancellationToken cancellationToken)
    {
        await using var connection = await database.OpenAsync(cancellationToken);
        var history = await connection.QueryAsync<AuditView>(new CommandDefinition(
            """
            SELECT id AS Id, at AS At, step AS Step, what AS What, why AS Why, actor AS Actor, model_version AS ModelVersion, policy_version AS PolicyVersion, data AS Data
            FROM audit_log WHERE message_id IS NULL AND step IN ('policy-load', 'policy-rejected') ORDER BY id DESC LIMIT 50
            """,
            cancellationToken: cancellationToken));
        var current = store.Current;
        return TypedResults.Ok(new PolicyView(current.Version, current.Source, current.Document, history.AsList()));
    }

    private static async Task<Results<Ok<SimulationResult>, ValidationProblem, ProblemHttpResult>> SimulateAsync(
        HttpRequest request,
        PolicyStore store,
        IOptionsMonitor<PolicyOptions> levers,
        LocalClassifier classifier,
        SiftDatabase database,
        TimeProvider time,
        CancellationToken cancellationToken)
    {
        SimulationRequest? body;
        try
        {
            body = await JsonSerializer.DeserializeAsync(request.Body, ApiJsonContext.Default.SimulationRequest, cancellationToken);
        }
        catch (JsonException ex)
        {
            return Invalid("body", $"The body is not valid JSON at {ex.Path ?? "$"}: {ex.Message.Split(" Path:")[0]}");
        }

        if (body is null || (body.MessageId is null) == (body.Message is null))
        {
            return Invalid("messageId", "Give either messageId (a stored message) or message (a JSON message as POST /api/messages takes it), not both.");
        }

        // The policy: the running one, or a posted document checked exactly as a file would be.
        var policy = store.Current;
        var warnings = ImmutableArray<PolicyProblem>.Empty;
        if (body.Policy is { ValueKind: not JsonValueKind.Null and not JsonValueKind.Undefined } posted)
        {
            var result = store.Validate(Encoding.UTF8.GetBytes(posted.GetRawText()), "posted");
            if (result.Policy is null)
            {
                return TypedResults.ValidationProblem(
                    result.Errors.GroupBy(e => "policy" + e.Path[1..]).ToDictionary(g => g.Key, g => g.Select(e => e.Message).ToArray()),
                    title: "The posted policy is invalid");
            }

            policy = result.Policy;
            warnings = result.Warnings;
        }

        var now = body.At ?? time.GetUtcNow();
        InboundMessage message;
        string mailbox;
        Classification.Classification? stored = null;
        if (body.MessageId is { } id)
        {
            await using var connection = await database.OpenAsync(cancellationToken);
            var row = await connection.QuerySingleOrDefaultAsync<StoredRow>(new CommandDefinition(
                "SELECT mailbox AS Mailbox, content AS Content, intent AS Intent, urgency AS Urgency, confidence AS Confidence, policy_flags AS PolicyFlags FROM messages WHERE id = @id",
                new { id },
                cancellationToken: cancellationToken));
            if (row is null)
            {
                return TypedResults.Problem(title: "Message not found", detail: $"No message has the id {id}.", statusCode: StatusCodes.Status404NotFound);
            }

            message = JsonSerializer.Deserialize(row.Content, MailJsonContext.Default.InboundMessage)!;
            mailbox = row.Mailbox;
            if (row.Intent is not null)
            {
                var flags = row.PolicyFlags is null ? [] : JsonSerializer.Deserialize(row.PolicyFlags, ApiJsonContext.Default.ListString) ?? [];
                stored = new Classification.Classification(row.Intent, row.Urgency ?? "normal", [.. flags], row.Confidence ?? 0, "stored classification", "stored");
            }
        }
        else
        {
            if (string.IsNullOrWhiteSpace(body.Mailbox))
            {
                return Invalid("mailbox", "mailbox is required with a posted message: the mailbox that received it (e.g. support@contoso.example).");
            }

            var normalized = body.Message!.Normalize(now, out var errors);
            if (normalized is null)
            {
                return TypedResults.ValidationProblem(errors.ToDictionary(e => "message." + e.Key, e => e.Value), title: "The posted message is invalid");
            }

            message = normalized;
            mailbox = body.Mailbox.Trim();
        }

        // The classification: the one stored for the message, else the local model's (never a hosted model: a simulation
        // costs nothing), with any field the request gives laid over it.
        var source = stored is null ? "local-model" : "stored";
        var classification = stored ?? classifier.Classify(message, policy.Document.Vips);
        if (body.Classification is { } given)
        {
            if (given.Confidence is < 0 or > 1)
            {
                return Invalid("classification.confidence", "confidence must be between 0 and 1.");
            }

            classification = classification with
            {
                Intent = given.Intent ?? classification.Intent,
                Urgency = given.Urgency ?? classification.Urgency,
                Confidence = given.Confidence ?? classification.Confidence,
                PolicyFlags = given.Flags is { } flags ? [.. flags] : classification.PolicyFlags,
            };
            source += "+given";
        }

        var decision = RoutingPolicy.Decide(policy, levers.CurrentValue, message, mailbox, classification, now);
        return TypedResults.Ok(new SimulationResult(
            policy.Version,
            body.Policy is { ValueKind: JsonValueKind.Object } ? "posted" : "running",
            new ClassificationView(classification.Intent, classification.Urgency, classification.Owner, classification.PolicyFlags, classification.Confidence),
            source,
            new SimulatedDecision(decision.Action, decision.Owner, decision.TemplateId, decision.SlaDeadline, decision.DryRun, decision.Explanation),
            warnings));
    }

    private static ValidationProblem Invalid(string field, string error) =>
        TypedResults.ValidationProblem(new Dictionary<string, string[]> { [field] = [error] });

    private sealed record StoredRow(string Mailbox, string Content, string? Intent, string? Urgency, double? Confidence, string? PolicyFlags);
}

/// <summary>The running policy: its version, where it was read from, the document, and its recent loads and refusals.</summary>
public sealed record PolicyView(string Version, string Source, PolicyDocument Document, IReadOnlyList<AuditView> History);

/// <summary>
/// A simulation: a stored message (messageId) or a posted one (message + mailbox), optionally a classification to lay
/// over the stored or local one, a policy document to try instead of the running one, and the time of the decision.
/// </summary>
public sealed record SimulationRequest(
    Guid? MessageId,
    PostedMessage? Message,
    string? Mailbox,
    SimulatedClassification? Classification,
    JsonElement? Policy,
    DateTimeOffset? At);

public sealed record SimulatedClassification(string? Intent, string? Urgency, double? Confidence, IReadOnlyList<string>? Flags);

public sealed record SimulationResult(
    string PolicyVersion,
    string Policy,
    ClassificationView Classification,
    string ClassificationSource,
    SimulatedDecision Decision,
    ImmutableArray<PolicyProblem> Warnings);

public sealed record SimulatedDecision(string Action, string Owner, string? Template, DateTimeOffset SlaDeadline, bool DryRun, ImmutableArray<RuleMatch> Explanation);
