using System.Globalization;
using Sift.Classification;
using Sift.Drafting;
using Sift.Engine;
using Sift.Mail;
using Sift.Policy;
using Sift.Storage;

namespace Sift.Triage;

/// <summary>
/// The per-email workflow, one instance per message: prefilter, classify, route, draft, respond, log.
/// Each step is recorded before the next runs; see <see cref="WorkflowContext"/> for what that guarantees.
/// </summary>
public sealed class TriageWorkflow(TriageActivities activities)
{
    public async Task RunAsync(WorkflowContext ctx, CancellationToken cancellationToken)
    {
        var email = ctx.Message;
        ctx.Update(new MessagePatch { Status = MessageStatus.Processing });

        var verdict = ctx.Step("prefilter", () => TriageActivities.Prefilter(email, ctx.Mailbox),
            v => new AuditNote(v.IsMachine ? $"filtered as {v.Category}" : "passed the pre-filter", v.Reason));
        if (verdict.IsMachine)
        {
            ctx.Update(new MessagePatch { Status = MessageStatus.Filtered, Route = "filtered", FilterReason = $"{verdict.Category}: {verdict.Reason}" });
            Log(ctx, new TriageOutcome(MessageStatus.Filtered, "filtered", Sent: false));
            return;
        }

        var classification = await ClassifyAsync(ctx, cancellationToken);
        ctx.Update(new MessagePatch
        {
            Intent = classification.Intent,
            Urgency = classification.Urgency,
            Confidence = classification.Confidence,
            PolicyFlags = TriageActivities.Flags(classification.PolicyFlags),
        });

        var route = ctx.Step("route", () => activities.Route(email, classification, ctx.Now),
            r => new AuditNote($"routed to {r.Action}, owner {r.Owner}", string.Join("; ", r.Explanation.Select(m => $"{m.Rule}: {m.Reason}")), PolicyVersion: r.PolicyVersion));

        if (route.Action == RouteAction.Auto)
        {
            // Repeating the guard after a crash can only refuse a reply, never allow a second one: no checkpoint of its own.
            var guard = await ctx.ActivityAsync("loop-guard", ct => activities.CheckLoopGuardAsync(email, ct),
                g => new AuditNote(g.Allowed ? "automatic reply allowed" : "automatic reply refused by the loop guard", g.Reason), cancellationToken, checkpointNow: false);
            if (!guard.Allowed)
            {
                route = Downgrade(route, RouteAction.Review, "loop-guard", guard.Reason);
            }
        }

        ctx.Update(new MessagePatch { Owner = route.Owner, Route = route.Action, Explanation = TriageActivities.Explain(route) });

        var outcome = route.Action switch
        {
            RouteAction.Auto => await AutoSendAsync(ctx, route, classification, cancellationToken),
            RouteAction.Review => await ReviewAsync(ctx, route, classification, cancellationToken),
            _ => AssignToHuman(ctx, route),
        };
        Log(ctx, outcome);
    }

    /// <summary>The cascade: the local model first; the hosted model only when the local answer is unsure or not covered.</summary>
    private async Task<Classification.Classification> ClassifyAsync(WorkflowContext ctx, CancellationToken cancellationToken)
    {
        var local = ctx.Step("classify-local", () => activities.ClassifyLocally(ctx.Message),
            v => new AuditNote(
                string.Create(CultureInfo.InvariantCulture, $"local model: {v.Classification.Intent} ({v.Classification.Urgency}, confidence {v.Classification.Confidence:0.###})"),
                $"{v.Reason}. {v.Classification.Rationale}", ModelVersion: v.Classification.Model));
        if (!local.AskLlm)
        {
            return Cascade.Choose(local, llm: null, llmFailure: null, activities.Urgencies).Classification;
        }

        var hosted = await ctx.ActivityAsync("classify-llm", ct => activities.ClassifyWithLlmAsync(ctx.Message, local, ct),
            o => new AuditNote(
                o.Classification is { } c
                    ? string.Create(CultureInfo.InvariantCulture, $"hosted model: {c.Intent} ({c.Urgency}, confidence {c.Confidence:0.###})")
                    : "hosted model failed",
                o.Failure ?? o.Classification?.Rationale,
                ModelVersion: o.Classification?.Model ?? (o.Calls.FirstOrDefault() is { } first ? $"{first.Provider}:{first.Model}" : null),
                Data: TriageActivities.Prompts(o)) { ModelCalls = TriageActivities.CallRows(o) },
            cancellationToken);

        var choice = ctx.Step("classify-choice", () => Cascade.Choose(local, hosted.Classification is { } c ? c with { Owner = hosted.Owner } : null, hosted.Failure, activities.Urgencies),
            c => new AuditNote($"chose the {c.Chosen} answer: {c.Classification.Intent}", c.Reason, ModelVersion: c.Classification.Model));
        return choice.Classification;
    }

    private async Task<TriageOutcome> AutoSendAsync(WorkflowContext ctx, RouteDecision route, Classification.Classification classification, CancellationToken cancellationToken)
    {
        var draft = MakeDraft(ctx, route, classification);
        if (!draft.AutoSendAllowed || !draft.LintFindings.IsEmpty)
        {
            var reason = draft.LintFindings.IsEmpty ? $"template {draft.TemplateId} is not allowed for auto-send" : string.Join("; ", draft.LintFindings);
            return await ReviewAsync(ctx, Downgrade(route, RouteAction.Review, "lint", reason), classification, cancellationToken, draft);
        }

        if (route.DryRun)
        {
            return DryRun(ctx, RouteAction.Auto);
        }

        await SendAsync(ctx, draft.Text, automatic: true, route, LintResult(draft), cancellationToken);
        ctx.Update(new MessagePatch { Status = MessageStatus.AutoSent, AutoSent = true });
        return new TriageOutcome(MessageStatus.AutoSent, RouteAction.Auto, Sent: true);
    }

    private async Task<TriageOutcome> ReviewAsync(WorkflowContext ctx, RouteDecision route, Classification.Classification classification, CancellationToken cancellationToken, Draft? existing = null)
    {
        var draft = existing ?? MakeDraft(ctx, route, classification);
        ctx.Update(new MessagePatch { Status = MessageStatus.AwaitingReview, Route = RouteAction.Review, Explanation = TriageActivities.Explain(route) });
        var request = ctx.Step("request-review", () => TriageActivities.RequestReview(route, ctx.Now),
            r => new AuditNote($"draft put up for review in the {r.Channel}", $"owner {r.Owner}, decide by {r.Deadline:O}"));

        var decision = ctx.WaitForEvent<ReviewDecision>(ReviewDecision.EventName, request.Deadline);
        if (decision.TimedOut)
        {
            var fallback = activities.Policy.FallbackOwner;
            var escalation = ctx.Step("escalate", () => new Escalation(request.Owner, fallback, request.Deadline),
                e => new AuditNote($"SLA missed: escalated from {e.FromOwner} to {e.ToOwner}", $"no decision by {e.DeadlineMissed:O}"));
            ctx.Update(new MessagePatch { Owner = escalation.ToOwner });
            decision = ctx.WaitForEvent<ReviewDecision>(ReviewDecision.EventName, deadline: null);
        }

        var review = decision.Payload!;
        var latency = (long)(review.At - request.RequestedAt).TotalMilliseconds;
        var sentText = review.Action switch
        {
            ReviewDecision.Approve => draft.Text,
            ReviewDecision.Edit => review.Text,
            _ => null,
        };
        ctx.SaveDraft(new DraftRow(draft.Id, ctx.MessageId, draft.Text, draft.TemplateId, ctx.Now)
        {
            Approver = review.By,
            Decision = review.Action,
            LatencyMs = Math.Max(0, latency),
            SentText = sentText,
            DecidedAt = review.At,
        });

        if (sentText is null)
        {
            ctx.Update(new MessagePatch { Status = MessageStatus.Rejected });
            return new TriageOutcome(MessageStatus.Rejected, RouteAction.Review, Sent: false);
        }

        if (route.DryRun)
        {
            return DryRun(ctx, RouteAction.Review);
        }

        var lint = review.Action == ReviewDecision.Edit ? $"{LintResult(draft)} (on the draft; the reviewer edited the text)" : LintResult(draft);
        await SendAsync(ctx, sentText, automatic: false, route, lint, cancellationToken);
        ctx.Update(new MessagePatch { Status = MessageStatus.Sent });
        return new TriageOutcome(MessageStatus.Sent, RouteAction.Review, Sent: true);
    }

    private static TriageOutcome AssignToHuman(WorkflowContext ctx, RouteDecision route)
    {
        ctx.Step("assign", () => TriageActivities.Outline(ctx.Message, route.Owner),
            o => new AuditNote($"assigned to {o.Owner} with an outline", string.Join(" | ", o.KeyPoints)));
        ctx.Update(new MessagePatch { Status = MessageStatus.Assigned });
        return new TriageOutcome(MessageStatus.Assigned, RouteAction.Human, Sent: false);
    }

    private Draft MakeDraft(WorkflowContext ctx, RouteDecision route, Classification.Classification classification)
    {
        var draft = ctx.Step("draft", () => activities.Draft(Guid.CreateVersion7(ctx.Now), ctx.Message, route, classification.Intent),
            d => new AuditNote($"drafted from template {d.TemplateId}", d.LintFindings.IsEmpty ? "lint passed" : string.Join("; ", d.LintFindings)));
        ctx.SaveDraft(new DraftRow(draft.Id, ctx.MessageId, draft.Text, draft.TemplateId, ctx.Now));
        return draft;
    }

    /// <summary>What the send's audit entry says of the lint, so an auditor reads it next to the policy version.</summary>
    private static string LintResult(Draft draft) => draft.LintFindings.IsEmpty ? "lint passed" : $"lint: {string.Join("; ", draft.LintFindings)}";

    private Task<SendReceipt> SendAsync(WorkflowContext ctx, string text, bool automatic, RouteDecision route, string lint, CancellationToken cancellationToken)
    {
        var reply = new OutgoingReply(ctx.MessageId, ctx.Mailbox, ctx.Message, text, automatic, $"send:{ctx.MessageId:N}");
        return ctx.SideEffectAsync("send", reply.IdempotencyKey,
            ct => activities.FindSentAsync(reply, ct),
            ct => activities.SendAsync(reply, ct),
            r => new AuditNote(automatic ? "reply sent automatically" : "approved reply sent", $"via {r.Transport} as {r.ExternalId}; {lint}", PolicyVersion: route.PolicyVersion),
            cancellationToken);
    }

    private static TriageOutcome DryRun(WorkflowContext ctx, string route)
    {
        ctx.Update(new MessagePatch { Status = MessageStatus.DryRun });
        return ctx.Step("send-suppressed", () => new TriageOutcome(MessageStatus.DryRun, route, Sent: false),
            _ => new AuditNote("send suppressed", "dry-run is on: the reply was decided and recorded, not sent"));
    }

    private static RouteDecision Downgrade(RouteDecision route, string action, string rule, string reason) =>
        route with { Action = action, Explanation = route.Explanation.Add(new RuleMatch(rule, action, reason)) };

    private static void Log(WorkflowContext ctx, TriageOutcome outcome) =>
        ctx.Step("log", () => outcome, o => new AuditNote($"completed: {o.Status}", o.Sent ? "a reply left Sift" : "no reply was sent"));
}
