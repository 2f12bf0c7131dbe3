using System.Collections.Immutable;
using System.Globalization;
using Sift.Approvals.Slack;
using Sift.Approvals.Teams;
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

        // The owner is written once, with the route step's own checkpoint: a replay must not undo a reassignment made
        // while the review waited. (A row without an owner gets it whatever happened before: no reassignment sets none.)
        var routedNow = !ctx.Completed("route");
        var route = ctx.Step("route", () => activities.Route(email, ctx.Mailbox, classification, ctx.Now),
            r => new AuditNote($"routed to {r.Action}, owner {r.Owner}", string.Join("; ", r.Explanation.Select(m => $"{m.Rule}: {m.Reason}")), PolicyVersion: r.PolicyVersion));
        if (routedNow || ctx.OwnerOnRecord is null)
        {
            ctx.Update(new MessagePatch { Owner = route.Owner });
        }

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

        ctx.Update(new MessagePatch { Route = route.Action, Explanation = TriageActivities.Explain(route) });

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

        var plan = ctx.Step("draft-plan", () => activities.PlanDraft(classification),
            p => new AuditNote(p.Paraphrase ? "the reply will be paraphrased for tone" : "the template's text is sent as it is", p.Reason));
        if (plan.Paraphrase)
        {
            var paraphrase = await ctx.ActivityAsync("paraphrase", ct => activities.ParaphraseAsync(draft, ctx.Message, route, classification.Intent, ct),
                p => new AuditNote(
                    p.Draft is null ? "paraphrase failed: the template's text is sent" : p.Findings.IsEmpty ? "paraphrased for tone; lint passed" : "paraphrase refused by the lint: nothing is sent automatically",
                    p.Failure ?? (p.Findings.IsEmpty ? null : string.Join("; ", p.Findings)),
                    ModelVersion: ModelOf(p.Calls),
                    Data: TriageActivities.Prompts(p.Calls)) { ModelCalls = TriageActivities.CallRows(p.Calls) },
                cancellationToken);
            if (paraphrase.Draft is { } rewritten)
            {
                if (!paraphrase.Findings.IsEmpty)
                {
                    // The reviewer gets the template's text (which passed) with what the paraphrase would have added.
                    var held = draft with { LintFindings = paraphrase.Findings };
                    ctx.SaveDraft(Row(ctx, held));
                    return await ReviewAsync(ctx, Downgrade(route, RouteAction.Review, "lint", "the paraphrase failed the lint: " + string.Join("; ", paraphrase.Findings)), classification, cancellationToken, held);
                }

                draft = rewritten;
                ctx.SaveDraft(Row(ctx, draft));
            }
        }

        // The levers are read again here: a policy reloaded or an operator's switch thrown since routing still holds this reply.
        var gate = ctx.Step("send-gate", activities.CheckSendGate, g => new AuditNote($"before the automatic send: {g.Reason}", null));
        if (gate.KillSwitch)
        {
            return await ReviewAsync(ctx, Downgrade(route, RouteAction.Review, "kill-switch", "the kill switch was turned on after routing: the reply waits for review"), classification, cancellationToken, draft);
        }

        if (route.DryRun || gate.DryRun)
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

        // Decided once and recorded: a resumed instance replays the grounded draft it made, and never makes one after the
        // review was requested, so no text the reviewer did not see can reach the send (the draft's hash is checked too).
        if (existing is null
            && (ctx.Completed("draft-grounded")
                || (!ctx.Completed("request-review")
                    && ctx.Step("draft-plan", () => activities.PlanDraft(classification),
                        p => new AuditNote(p.Grounded ? "the hosted model writes the review draft" : "the review draft is the template's", p.Reason)).Grounded)))
        {
            var written = await ctx.ActivityAsync("draft-grounded", ct => activities.GroundedDraftAsync(draft, ctx.Message, route, classification.Intent, ct),
                w => new AuditNote(
                    w.Draft is { } d
                        ? $"draft written by the hosted model from template {d.TemplateId} and {d.Knowledge.Length} knowledge-base section(s)"
                        : "hosted model failed: the template draft stands",
                    w.Draft is { } g
                        ? $"{(g.LintFindings.IsEmpty ? "lint passed" : string.Join("; ", g.LintFindings))}. Sources: {(g.Knowledge.IsEmpty ? "the template only" : string.Join(", ", g.Knowledge.Select(k => $"{k.Title} > {k.Section}")))}"
                        : w.Failure,
                    ModelVersion: ModelOf(w.Calls),
                    Data: TriageActivities.Prompts(w.Calls)) { ModelCalls = TriageActivities.CallRows(w.Calls) },
                cancellationToken);
            if (written.Draft is { } grounded)
            {
                draft = grounded;
                ctx.SaveDraft(Row(ctx, draft));
            }
        }

        ctx.Update(new MessagePatch { Status = MessageStatus.AwaitingReview, Route = RouteAction.Review, Explanation = TriageActivities.Explain(route) });
        var reviewed = Sha256(draft.Text);
        var request = ctx.Step("request-review", () => activities.RequestReview(route, ctx.Now) with { DraftSha256 = reviewed },
            r => new AuditNote($"draft put up for review in the {r.Channel}", $"owner {r.Owner}, decide by {r.Deadline:O}"));
        var card = TriageActivities.ReviewCard(ctx.MessageId, ctx.Message, classification, route, draft, request.Deadline);
        var post = request.SlackChannel is { } channel ? await PostForReviewAsync(ctx, channel, card, request, cancellationToken) : null;
        var teams = request.Teams ? await PostToTeamsAsync(ctx, card, cancellationToken) : null;

        var decision = ctx.WaitForEvent<ReviewDecision>(ReviewDecision.EventName, request.Deadline);
        if (decision.TimedOut)
        {
            // Escalated from whoever holds the review now (it may have been reassigned), and the Teams choice is made
            // here and recorded, so a configuration changed later cannot post a late card when the decision replays.
            var escalatedNow = !ctx.Completed("escalate");
            var escalation = ctx.Step("escalate",
                () =>
                {
                    var fallback = activities.Policy.FallbackOwner;
                    return new Escalation(ctx.OwnerOnRecord ?? request.Owner, fallback, request.Deadline) { TeamsCard = activities.PostsTeamsFor(fallback) };
                },
                e => new AuditNote($"SLA missed: escalated from {e.FromOwner} to {e.ToOwner}", $"no decision by {e.DeadlineMissed:O}"));
            if (escalatedNow)
            {
                ctx.Update(new MessagePatch { Owner = escalation.ToOwner });
            }
            if (post is not null)
            {
                var key = $"slack-remind:{ctx.MessageId:N}";
                await ctx.SideEffectAsync("slack-remind", key,
                    ct => activities.FindReviewPostAsync(post.Channel, key, request.Deadline, post.Ts, ct),
                    ct => activities.RemindAsync(post, escalation, key, ct),
                    o => SlackNote(o, $"SLA reminder posted in the Slack thread for {escalation.ToOwner}", "SLA reminder not posted in Slack"),
                    cancellationToken);
            }

            if (escalation.TeamsCard ?? activities.PostsTeamsFor(escalation.ToOwner))
            {
                // A Workflows card cannot be updated or threaded: the fallback owner's channel gets the card again.
                await ctx.SideEffectAsync("teams-escalate", $"teams-escalate:{ctx.MessageId:N}",
                    _ => Task.FromResult<TeamsOutcome?>(null),
                    ct => activities.PostTeamsEscalationAsync(card, escalation, ct),
                    o => o.Error is null
                        ? new AuditNote($"review card posted to Teams for {escalation.ToOwner}", $"SLA missed; its links work once, until {o.LinksExpireAt:O}")
                        : new AuditNote($"review card not posted to Teams for {escalation.ToOwner}", o.Error),
                    cancellationToken);
            }

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
        var edit = sentText is null ? ((int Distance, double Ratio)?)null : EditDistance.Measure(draft.Text, sentText);
        ctx.SaveDraft(Row(ctx, draft) with
        {
            Approver = review.By,
            Decision = review.Action,
            LatencyMs = Math.Max(0, latency),
            SentText = sentText,
            DecidedAt = review.At,
            EditDistance = edit?.Distance,
            EditRatio = edit?.Ratio,
        });

        if (sentText is null)
        {
            ctx.Update(new MessagePatch { Status = MessageStatus.Rejected });
            await ShowDecisionAsync(ctx, request, post, teams, card, review, sent: false, cancellationToken);
            return new TriageOutcome(MessageStatus.Rejected, RouteAction.Review, Sent: false);
        }

        if (review.Action == ReviewDecision.Approve && request.DraftSha256 is { } shown && shown != reviewed)
        {
            // Never expected; guards against any change of the draft between the review request and the approval.
            var held = ctx.Step("review-mismatch", () => new TriageOutcome(MessageStatus.Assigned, RouteAction.Human, Sent: false),
                _ => new AuditNote("approval not sent: the draft differs from the one the reviewer saw", "a person answers this message"));
            ctx.Update(new MessagePatch { Status = MessageStatus.Assigned, Route = RouteAction.Human });
            await ShowDecisionAsync(ctx, request, post, teams, card, review, sent: false, cancellationToken);
            return held;
        }

        var gate = ctx.Step("send-gate-review", activities.CheckSendGate, g => new AuditNote($"before the approved send: {g.Reason}", null));
        if (route.DryRun || gate.DryRun)
        {
            await ShowDecisionAsync(ctx, request, post, teams, card, review, sent: false, cancellationToken);
            return DryRun(ctx, RouteAction.Review);
        }

        // The send comes first: Slack being down must never hold back an approved reply.
        var lint = review.Action == ReviewDecision.Edit ? EditedLintResult(activities.LintEdited(sentText, draft, ctx.Message, route, classification.Intent)) : LintResult(draft);
        await SendAsync(ctx, sentText, automatic: false, route, lint, cancellationToken);
        ctx.Update(new MessagePatch { Status = MessageStatus.Sent });
        await ShowDecisionAsync(ctx, request, post, teams, card, review, sent: true, cancellationToken);
        return new TriageOutcome(MessageStatus.Sent, RouteAction.Review, Sent: true);
    }

    /// <summary>
    /// The review card in the owner's Slack channel, posted once: the side effect's started record and the card's metadata
    /// (found in the channel's history) keep a crash between the post and its record from posting it twice.
    /// </summary>
    private async Task<SlackPost?> PostForReviewAsync(WorkflowContext ctx, string channel, SlackReviewCard card, ReviewRequest request, CancellationToken cancellationToken)
    {
        var key = $"slack-post:{ctx.MessageId:N}";
        var outcome = await ctx.SideEffectAsync("slack-post", key,
            ct => activities.FindReviewPostAsync(channel, key, request.RequestedAt, threadTs: null, ct),
            ct => activities.PostReviewAsync(channel, card, key, ct),
            o => SlackNote(o, $"review card posted in Slack channel {o.Channel}", "review card not posted in Slack: the review goes on in the console"),
            cancellationToken);
        return outcome.AsPost();
    }

    /// <summary>
    /// The review card in the owner's Teams channel, with signed links to Sift's approval pages. A Workflows webhook cannot
    /// be asked whether a post arrived, so a crash between the post and its record posts the card again: harmless, since
    /// each link acts once and the message takes one decision.
    /// </summary>
    private async Task<TeamsOutcome> PostToTeamsAsync(WorkflowContext ctx, SlackReviewCard card, CancellationToken cancellationToken) =>
        await ctx.SideEffectAsync("teams-post", $"teams-post:{ctx.MessageId:N}",
            _ => Task.FromResult<TeamsOutcome?>(null),
            ct => activities.PostTeamsReviewAsync(card, ct),
            o => o.Error is null
                ? new AuditNote("review card posted to Teams", $"owner {card.Owner}; its links work once, until {o.LinksExpireAt:O}")
                : new AuditNote("review card not posted to Teams: the review goes on in the console", o.Error),
            cancellationToken);

    /// <summary>Replaces the Slack card's buttons with who decided what, and when; in Teams, a follow-up card says it.</summary>
    private async Task ShowDecisionAsync(WorkflowContext ctx, ReviewRequest request, SlackPost? post, TeamsOutcome? teams, SlackReviewCard card, ReviewDecision review, bool sent, CancellationToken cancellationToken)
    {
        var outcome = SlackMessages.Outcome(review.Action, review.By, review.At, sent);
        if (post is not null)
        {
            await ctx.SideEffectAsync("slack-update", $"slack-update:{ctx.MessageId:N}",
                _ => Task.FromResult<SlackOutcome?>(null),
                ct => activities.UpdateReviewAsync(post, card, outcome, ct),
                o => SlackNote(o, "Slack review card updated with the decision", "Slack review card not updated"),
                cancellationToken);
        }

        if (teams is { Error: null } && (request.TeamsDecisions ?? activities.PostsTeamsDecisions))
        {
            await ctx.SideEffectAsync("teams-decision", $"teams-decision:{ctx.MessageId:N}",
                _ => Task.FromResult<TeamsOutcome?>(null),
                ct => activities.PostTeamsDecisionAsync(card, outcome, ct),
                o => o.Error is null ? new AuditNote("decision posted to Teams") : new AuditNote("decision not posted to Teams", o.Error),
                cancellationToken);
        }
    }

    private static AuditNote SlackNote(SlackOutcome outcome, string done, string failed) =>
        outcome.Error is null ? new AuditNote(done, outcome.Ts is null ? null : $"channel {outcome.Channel}, ts {outcome.Ts}") : new AuditNote(failed, outcome.Error);

    private TriageOutcome AssignToHuman(WorkflowContext ctx, RouteDecision route)
    {
        ctx.Step("assign", () => activities.Outline(ctx.Message, route.Owner),
            o => new AuditNote($"assigned to {o.Owner} with an outline", string.Join(" | ", o.KeyPoints.Concat(o.Knowledge.Select(k => $"See: {k.Title} > {k.Section} ({k.Url ?? k.Path})"))),
                Data: TriageActivities.OutlineJson(o)));
        ctx.Update(new MessagePatch { Status = MessageStatus.Assigned });
        return new TriageOutcome(MessageStatus.Assigned, RouteAction.Human, Sent: false);
    }

    private Draft MakeDraft(WorkflowContext ctx, RouteDecision route, Classification.Classification classification)
    {
        var draft = ctx.Step("draft", () => activities.Draft(Guid.CreateVersion7(ctx.Now), ctx.Message, route, classification.Intent),
            d => new AuditNote($"drafted from template {d.TemplateId}", d.LintFindings.IsEmpty ? "lint passed" : string.Join("; ", d.LintFindings)));
        ctx.SaveDraft(Row(ctx, draft));
        return draft;
    }

    /// <summary>The drafts row: the text, where it came from and the lint's findings, which the reviewer sees with it.</summary>
    private static DraftRow Row(WorkflowContext ctx, Draft draft) => new(draft.Id, ctx.MessageId, draft.Text, draft.TemplateId, ctx.Now)
    {
        Source = draft.Source,
        LintFindings = TriageActivities.Flags(draft.LintFindings),
    };

    private static string? ModelOf(IReadOnlyList<Classification.Llm.ModelCall> calls) =>
        calls.Count > 0 ? $"{calls[0].Provider}:{calls[0].Model}" : null;

    /// <summary>What the send's audit entry says of the lint, so an auditor reads it next to the policy version.</summary>
    private static string LintResult(Draft draft) => draft.LintFindings.IsEmpty ? "lint passed" : $"lint: {string.Join("; ", draft.LintFindings)}";

    private static string EditedLintResult(ImmutableArray<string> findings) => findings.IsEmpty
        ? "lint passed on the reviewer's edited text"
        : $"lint on the reviewer's edited text (sent because a person decided): {string.Join("; ", findings)}";

    private Task<SendReceipt> SendAsync(WorkflowContext ctx, string text, bool automatic, RouteDecision route, string lint, CancellationToken cancellationToken)
    {
        var reply = new OutgoingReply(ctx.MessageId, ctx.Mailbox, ctx.Message, text, automatic, $"send:{ctx.MessageId:N}");
        return ctx.SideEffectAsync("send", reply.IdempotencyKey,
            ct => activities.FindSentAsync(reply, ct),
            ct => activities.SendAsync(reply, ct),
            r => new AuditNote(automatic ? "reply sent automatically" : "approved reply sent", $"via {r.Transport} as {r.ExternalId}; {lint}", PolicyVersion: route.PolicyVersion),
            cancellationToken);
    }

    private static string Sha256(string text) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));

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
