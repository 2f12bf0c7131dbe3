using System.Collections.Immutable;
using System.Text.Json;
using Sift.Classification;
using Sift.Drafting;
using Sift.Engine;
using Sift.Filtering;
using Sift.Mail;
using Sift.Policy;
using Sift.Storage;
using Sift.Telemetry;

namespace Sift.Triage;

/// <summary>The triage workflow's activities: thin calls into the capabilities in shared/.</summary>
public sealed class TriageActivities(RoutingPolicy policy, IMailTransport transport, IAutoReplyGuard loopGuard)
{
    public string PolicyVersion => policy.Version;

    public PolicyOptions Policy => policy.Current;

    public static FilterVerdict Prefilter(InboundMessage message, string mailbox) => Filtering.Prefilter.Evaluate(message, mailbox);

    /// <summary>The local classifier: pure computation, so a local step. A hosted model, when one is called, makes it an activity.</summary>
    public Classification.Classification Classify(InboundMessage message) => RuleClassifier.Classify(message, policy.Current.Vips);

    public RouteDecision Route(InboundMessage message, Classification.Classification classification, DateTimeOffset now) =>
        policy.Decide(message, classification, now);

    public async Task<LoopGuardResult> CheckLoopGuardAsync(InboundMessage message, CancellationToken cancellationToken)
    {
        var current = policy.Current;
        bool allowed;
        try
        {
            allowed = await loopGuard.TryAcquireAsync(message.ReplyAddress.Address, current.AutoRepliesPerSender, TimeSpan.FromMinutes(current.AutoReplyWindowMinutes), cancellationToken);
        }
        catch (LoopGuardUnavailableException ex)
        {
            // Unable to count replies: refuse, so the reply waits for review instead of risking a loop.
            return new LoopGuardResult(false, $"{ex.Message} The reply waits for review.");
        }

        return new LoopGuardResult(allowed, allowed
            ? $"first automatic reply to {message.ReplyAddress.Address} in this window"
            : $"{message.ReplyAddress.Address} already had {current.AutoRepliesPerSender} automatic repl(ies) within {current.AutoReplyWindowMinutes} minutes");
    }

    public Draft Draft(Guid draftId, InboundMessage message, RouteDecision route, string intent) =>
        Drafter.Draft(draftId, message, route, intent, policy.Current);

    public static Outline Outline(InboundMessage message, string owner) => Drafter.Outline(message, owner);

    /// <summary>Asks the transport whether a reply already left. The span lets time waiting on the transport be told from Sift's own.</summary>
    public async Task<SendReceipt?> FindSentAsync(string idempotencyKey, CancellationToken cancellationToken)
    {
        using var activity = SiftTelemetry.Source.StartActivity(TransportSpan);
        activity?.SetTag("sift.transport", transport.Name);
        return await transport.FindSentAsync(idempotencyKey, cancellationToken);
    }

    public async Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        using var activity = SiftTelemetry.Source.StartActivity(TransportSpan);
        activity?.SetTag("sift.transport", transport.Name);
        return await transport.SendAsync(reply, cancellationToken);
    }

    /// <summary>The span around every call to the mail transport (an external API in production; the outbox folder in the embedded default).</summary>
    public const string TransportSpan = "transport";

    /// <summary>A console review needs no post: the draft row is the review item. Slack and Teams posts will be side effects.</summary>
    public static ReviewRequest RequestReview(RouteDecision route, DateTimeOffset now) => new("console", route.Owner, route.SlaDeadline, now);

    public static string Explain(RouteDecision route) =>
        JsonSerializer.Serialize(route.Explanation.ToList(), WorkflowJsonContext.Default.ListRuleMatch);

    public static string Flags(ImmutableArray<string> flags) =>
        JsonSerializer.Serialize(flags.ToList(), WorkflowJsonContext.Default.ListString);

    public static string StatusAfter(string action) => action switch
    {
        RouteAction.Auto => MessageStatus.AutoSent,
        RouteAction.Review => MessageStatus.AwaitingReview,
        _ => MessageStatus.Assigned,
    };
}
