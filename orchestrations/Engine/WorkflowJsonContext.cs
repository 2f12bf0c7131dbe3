using System.Text.Json.Serialization;
using Sift.Drafting;
using Sift.Filtering;
using Sift.Mail;
using Sift.Policy;
using Sift.Triage;

namespace Sift.Engine;

/// <summary>JSON of step results and event payloads, as stored in workflow_steps and workflow_events.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FilterVerdict))]
[JsonSerializable(typeof(Classification.Classification))]
[JsonSerializable(typeof(Classification.LocalVerdict))]
[JsonSerializable(typeof(Classification.CascadeChoice))]
[JsonSerializable(typeof(Classification.Llm.LlmOutcome))]
[JsonSerializable(typeof(List<SentPrompt>))]
[JsonSerializable(typeof(RouteDecision))]
[JsonSerializable(typeof(Draft))]
[JsonSerializable(typeof(Outline))]
[JsonSerializable(typeof(ModelDraft))]
[JsonSerializable(typeof(SendReceipt))]
[JsonSerializable(typeof(ReviewDecision))]
[JsonSerializable(typeof(EventResult<ReviewDecision>))]
[JsonSerializable(typeof(LoopGuardResult))]
[JsonSerializable(typeof(ReviewRequest))]
[JsonSerializable(typeof(DraftPlan))]
[JsonSerializable(typeof(SendGate))]
[JsonSerializable(typeof(Escalation))]
[JsonSerializable(typeof(TriageOutcome))]
[JsonSerializable(typeof(List<RuleMatch>))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(Approvals.Slack.SlackOutcome))]
[JsonSerializable(typeof(Approvals.Teams.TeamsOutcome))]
public sealed partial class WorkflowJsonContext : JsonSerializerContext;
