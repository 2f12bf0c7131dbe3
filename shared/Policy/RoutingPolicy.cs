using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Sift.Classification;
using Sift.Mail;

namespace Sift.Policy;

/// <summary>
/// Evaluates the policy's ordered rules on a classified message. Rules only ever make a decision safer
/// (auto → review → human), except the intent's own autonomy, which sets the starting point.
/// </summary>
public sealed class RoutingPolicy(IOptionsMonitor<PolicyOptions> options)
{
    public PolicyOptions Current => options.CurrentValue;

    public string Version => VersionOf(options.CurrentValue);

    public RouteDecision Decide(InboundMessage message, Classification.Classification classification, DateTimeOffset now)
    {
        var policy = options.CurrentValue;
        var rules = ImmutableArray.CreateBuilder<RuleMatch>();
        var intent = policy.Intents.GetValueOrDefault(classification.Intent);
        var action = intent?.Mode ?? RouteAction.Human;
        var owner = intent?.Owner ?? classification.Owner ?? policy.FallbackOwner;
        rules.Add(intent is null
            ? new RuleMatch("intent-autonomy", action, $"intent '{classification.Intent}' has no autonomy rule, so a human handles it")
            : new RuleMatch("intent-autonomy", action, $"intent '{classification.Intent}' is set to {intent.Mode}"));

        void Cap(string ceiling, string rule, string reason)
        {
            if (Rank(action) < Rank(ceiling))
            {
                action = ceiling;
            }

            rules.Add(new RuleMatch(rule, ceiling, reason));
        }

        if (classification.Failure is { } failure)
        {
            Cap(RouteAction.Human, "classifier-failed", $"no classifier could be trusted: {failure}");
        }

        if (classification.HasFlag(PolicyFlags.PromptInjectionSuspected))
        {
            Cap(RouteAction.Human, "prompt-injection", "the message seems to instruct the assistant; a human reads it");
        }

        if (classification.HasFlag(PolicyFlags.Legal))
        {
            Cap(RouteAction.Human, "legal", "legal language found; a human answers");
        }

        if (classification.HasFlag(PolicyFlags.Complaint))
        {
            Cap(RouteAction.Human, "complaint", "a complaint is answered by a person");
        }

        if (classification.HasFlag(PolicyFlags.Vip) || RuleClassifier.IsVip(message.From.Address, policy.Vips))
        {
            Cap(RouteAction.Review, "vip", $"{message.From.Address} is a VIP: never auto-sent");
        }

        if (action == RouteAction.Auto && intent is not null && classification.Confidence < intent.MinConfidence)
        {
            Cap(RouteAction.Review, "min-confidence", string.Create(CultureInfo.InvariantCulture,
                $"confidence {classification.Confidence:0.###} is below the {intent.MinConfidence:0.###} required for auto-send"));
        }

        if (action == RouteAction.Auto && policy.KillSwitch)
        {
            Cap(RouteAction.Review, "kill-switch", "the kill switch turns every auto-send into a review");
        }

        if (policy.DryRun)
        {
            rules.Add(new RuleMatch("dry-run", action, "dry-run: the decision is recorded, nothing is sent"));
        }

        var slaMinutes = policy.SlaMinutes.GetValueOrDefault(classification.Urgency, 240);
        return new RouteDecision(action, owner, intent?.Template, rules.ToImmutable(), VersionOf(policy), now.AddMinutes(slaMinutes), policy.DryRun);
    }

    private static int Rank(string action) => action switch
    {
        RouteAction.Auto => 0,
        RouteAction.Review => 1,
        _ => 2,
    };

    private static string VersionOf(PolicyOptions policy)
    {
        var json = JsonSerializer.SerializeToUtf8Bytes(policy, PolicyJsonContext.Default.PolicyOptions);
        return "sha256:" + Convert.ToHexStringLower(SHA256.HashData(json))[..12];
    }
}
