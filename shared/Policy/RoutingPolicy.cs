using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using Microsoft.Extensions.Options;
using Sift.Classification;
using Sift.Mail;

namespace Sift.Policy;

/// <summary>
/// Evaluates the policy on a classified message, in a fixed order that every explanation follows: the intent's
/// autonomy sets the starting point; built-in guards, the blocklist, personal data, the ordered rules, VIPs, the
/// allowlist, business hours, the confidence floor and the kill switch can only move it towards a person.
/// </summary>
public sealed class RoutingPolicy(PolicyStore store, IOptionsMonitor<PolicyOptions> options)
{
    /// <summary>Names of the rules Sift always applies; a policy's own rules cannot reuse them.</summary>
    public static readonly FrozenSet<string> BuiltInRules = FrozenSet.ToFrozenSet(
    [
        "intent-autonomy", "classifier-failed", "prompt-injection", "legal", "complaint", "blocklist", "pii", "vip", "allowlist", "business-hours",
        "min-confidence", "kill-switch", "dry-run", "loop-guard", "lint",
    ], StringComparer.Ordinal);

    public LoadedPolicy Current => store.Current;

    public string Version => store.Current.Version;

    /// <summary>The kill switch and dry-run as they stand now: the policy's or the operator's.</summary>
    public (bool KillSwitch, bool DryRun) Levers()
    {
        var document = store.Current.Document;
        var levers = options.CurrentValue;
        return (document.KillSwitch || levers.KillSwitch, document.DryRun || levers.DryRun);
    }

    public RouteDecision Decide(InboundMessage message, string mailbox, Classification.Classification classification, DateTimeOffset now) =>
        Decide(store.Current, options.CurrentValue, message, mailbox, classification, now);

    /// <summary>The decision of <paramref name="policy"/> with the operator's levers: pure, so simulations and tests use it as is.</summary>
    public static RouteDecision Decide(
        LoadedPolicy policy, PolicyOptions levers, InboundMessage message, string mailbox, Classification.Classification classification, DateTimeOffset now)
    {
        var document = policy.Document;
        var sender = message.From.Address;

        // The reply goes to Reply-To when there is one: the lists see both addresses.
        string[] senders = message.ReplyTo is { } replyTo && !string.Equals(replyTo.Address, sender, StringComparison.OrdinalIgnoreCase)
            ? [sender, replyTo.Address]
            : [sender];
        var rules = ImmutableArray.CreateBuilder<RuleMatch>();
        var intent = document.Intents.GetValueOrDefault(classification.Intent);
        var action = intent?.Mode ?? RouteAction.Human;
        string? owner = null;
        string? ownerRule = null;
        string? template = intent?.Template;
        string? templateRule = null;
        rules.Add(intent is null
            ? new RuleMatch("intent-autonomy", action, $"intent '{classification.Intent}' has no autonomy rule, so a human handles it")
            : new RuleMatch("intent-autonomy", action, $"intent '{classification.Intent}' is set to {intent.Mode}"));

        void Cap(string ceiling, string rule, string reason)
        {
            if (RouteAction.Rank(action) < RouteAction.Rank(ceiling))
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

        // Built in, like the guards above: no policy can let a machine answer a legal threat or a complaint.
        if (classification.HasFlag(PolicyFlags.Legal))
        {
            Cap(RouteAction.Human, "legal", "legal language found; a person answers");
        }

        if (classification.HasFlag(PolicyFlags.Complaint))
        {
            Cap(RouteAction.Human, "complaint", "a complaint is answered by a person");
        }

        if (FirstMatch(document.Senders.Block, senders) is { } blocked)
        {
            Cap(RouteAction.Human, "blocklist", $"{blocked.Address} matches '{blocked.Pattern}' on the blocklist: Sift never answers it");
        }

        if (document.Pii == PiiHandling.HumanOnly && classification.HasFlag(PolicyFlags.Pii))
        {
            Cap(RouteAction.Human, "pii", "the mail carries personal data and the policy gives such mail to a person (pii: human-only)");
        }

        var context = new RuleContext(policy, senders, message, mailbox, classification, now);
        for (var i = 0; i < document.Rules.Count; i++)
        {
            var rule = document.Rules[i];
            if (context.Matches(i, rule.When) is not { } match)
            {
                continue;
            }

            var (why, timedOut) = match;
            var effects = new List<string>();
            if (timedOut && (rule.Then.Owner ?? rule.Then.Template) is not null)
            {
                effects.Add("its owner and template not applied: a pattern timed out, so only its action counts");
            }
            else if (rule.Then.Owner is { } ruleOwner)
            {
                if (owner is null)
                {
                    owner = ruleOwner;
                    ownerRule = rule.Name;
                    effects.Add($"owner {ruleOwner}");
                }
                else
                {
                    effects.Add($"owner {ruleOwner} not applied: rule '{ownerRule}' set {owner} first");
                }
            }

            if (!timedOut && rule.Then.Template is { } ruleTemplate)
            {
                if (templateRule is null)
                {
                    template = ruleTemplate;
                    templateRule = rule.Name;
                    effects.Add($"template {ruleTemplate}");
                }
                else
                {
                    effects.Add($"template {ruleTemplate} not applied: rule '{templateRule}' set {template} first");
                }
            }

            var reason = rule.Description is { Length: > 0 } description ? $"{why} ({description})" : why;
            if (effects.Count > 0)
            {
                reason += "; " + string.Join("; ", effects);
            }

            if (rule.Then.Action is { } ceiling)
            {
                Cap(ceiling, rule.Name, reason);
            }
            else
            {
                rules.Add(new RuleMatch(rule.Name, action, reason));
            }
        }

        if (FirstMatch(document.Vips, senders) is { } vip)
        {
            Cap(RouteAction.Review, "vip", $"{vip.Address} is a VIP: never auto-sent");
        }
        else if (classification.HasFlag(PolicyFlags.Vip))
        {
            Cap(RouteAction.Review, "vip", $"{sender} is a VIP: never auto-sent");
        }

        if (action == RouteAction.Auto && document.Senders.Allow.Count > 0
            && senders.FirstOrDefault(a => SenderPattern.FirstMatch(document.Senders.Allow, a) is null) is { } stranger)
        {
            Cap(RouteAction.Review, "allowlist", $"{stranger} is not on the allowlist, and only allowlisted senders get automatic replies");
        }

        if (action == RouteAction.Auto && policy.Clock is { } clock && document.BusinessHours!.OutsideHours is { } outside && !clock.IsOpen(now))
        {
            Cap(outside, "business-hours", string.Create(CultureInfo.InvariantCulture,
                $"{TimeZoneInfo.ConvertTime(now, policy.TimeZone):ddd HH:mm} ({policy.TimeZone.Id}) is outside business hours; automatic replies wait for a person"));
        }

        if (action == RouteAction.Auto && intent is not null && classification.Confidence < intent.MinConfidence)
        {
            Cap(RouteAction.Review, "min-confidence", string.Create(CultureInfo.InvariantCulture,
                $"confidence {classification.Confidence:0.###} is below the {intent.MinConfidence:0.###} required for auto-send"));
        }

        if (action == RouteAction.Auto && (document.KillSwitch || levers.KillSwitch))
        {
            Cap(RouteAction.Review, "kill-switch", document.KillSwitch
                ? "the policy's kill switch turns every auto-send into a review"
                : "the operator's kill switch (Sift:Policy:KillSwitch) turns every auto-send into a review");
        }

        var dryRun = document.DryRun || levers.DryRun || intent?.DryRun == true;
        if (dryRun)
        {
            var by = document.DryRun ? "the policy" : levers.DryRun ? "the operator (Sift:Policy:DryRun)" : $"intent '{classification.Intent}'";
            rules.Add(new RuleMatch("dry-run", action, $"dry-run ({by}): the decision is recorded, nothing is sent"));
        }

        owner ??= intent?.Owner ?? classification.Owner ?? document.FallbackOwner;
        return new RouteDecision(action, owner, template, rules.ToImmutable(), policy.Version, Deadline(policy, intent, classification.Urgency, now), dryRun);
    }

    /// <summary>The review deadline: the intent's SLA for the urgency, else the policy's, else four hours; in business time when configured.</summary>
    public static DateTimeOffset Deadline(LoadedPolicy policy, IntentPolicy? intent, string urgency, DateTimeOffset now)
    {
        var minutes = intent?.Sla.GetValueOrDefault(urgency) is > 0 and var own ? own : policy.Document.Sla.GetValueOrDefault(urgency, DefaultSlaMinutes);
        return policy.Clock is { } clock && policy.Document.BusinessHours!.SlaInBusinessHours
            ? clock.AddBusinessMinutes(now, minutes)
            : now.AddMinutes(minutes);
    }

    public const int DefaultSlaMinutes = 240;

    private static (string Address, string Pattern)? FirstMatch(IEnumerable<string> patterns, string[] addresses)
    {
        foreach (var address in addresses)
        {
            if (SenderPattern.FirstMatch(patterns, address) is { } pattern)
            {
                return (address, pattern);
            }
        }

        return null;
    }

    /// <summary>Evaluates one rule's conditions; the answer says why it matched.</summary>
    private sealed record RuleContext(
        LoadedPolicy Policy, string[] Senders, InboundMessage Message, string Mailbox, Classification.Classification Classification, DateTimeOffset Now)
    {
        private bool timedOut;

        /// <summary>Why the rule matched, and whether a pattern timed out (then only its action may apply); null when it does not match.</summary>
        public (string Why, bool TimedOut)? Matches(int index, RuleConditions when)
        {
            timedOut = false;
            var why = new List<string>();
            if (when.Senders is { } patterns)
            {
                if (FirstMatch(patterns, Senders) is not { } hit)
                {
                    return null;
                }

                why.Add($"sender {hit.Address} matches '{hit.Pattern}'");
            }

            if (when.SenderDomain is { } kinds)
            {
                if (Senders.Select(a => (Address: a, Kind: Policy.DomainKindOf(a))).FirstOrDefault(k => kinds.Contains(k.Kind, StringComparer.Ordinal)) is not { Address: not null } domain)
                {
                    return null;
                }

                why.Add(domain.Address == Senders[0] ? $"the sender's domain is {domain.Kind}" : $"the Reply-To domain is {domain.Kind}");
            }

            if (!In(when.Mailboxes, Mailbox, "mailbox", why, StringComparer.OrdinalIgnoreCase)
                || !In(when.Intents, Classification.Intent, "intent", why, StringComparer.Ordinal)
                || !In(when.Urgencies, Classification.Urgency, "urgency", why, StringComparer.Ordinal))
            {
                return null;
            }

            if (when.Flags is { } flags)
            {
                var present = flags.Where(Classification.HasFlag).ToList();
                if (present.Count == 0)
                {
                    return null;
                }

                why.Add($"flagged {string.Join(", ", present)}");
            }

            if (when.ConfidenceBelow is { } below)
            {
                if (Classification.Confidence >= below)
                {
                    return null;
                }

                why.Add(string.Create(CultureInfo.InvariantCulture, $"confidence {Classification.Confidence:0.###} is below {below:0.###}"));
            }

            if (!Regex(index, "subject", Message.Subject, why) || !Regex(index, "body", Message.Latest, why))
            {
                return null;
            }

            if (when.OutsideBusinessHours is { } outside)
            {
                var open = Policy.Clock?.IsOpen(Now) ?? true;
                if (open == outside)
                {
                    return null;
                }

                why.Add(outside ? "outside business hours" : "within business hours");
            }

            return (string.Join(", ", why), timedOut);
        }

        private static bool In(IReadOnlyList<string>? values, string actual, string what, List<string> why, StringComparer comparer)
        {
            if (values is null)
            {
                return true;
            }

            if (!values.Contains(actual, comparer))
            {
                return false;
            }

            why.Add($"{what} is {actual}");
            return true;
        }

        private bool Regex(int index, string field, string text, List<string> why)
        {
            if (Policy.RegexFor(index, field) is not { } regex)
            {
                return true;
            }

            try
            {
                if (!regex.IsMatch(text))
                {
                    return false;
                }
            }
            catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
            {
                // An action can only make a decision safer, so a pattern too slow to answer counts as a match for it.
                why.Add($"the {field} pattern /{regex}/ timed out on this mail, so the rule's action applies to be safe");
                timedOut = true;
                return true;
            }

            why.Add($"the {field} matches /{regex}/");
            return true;
        }
    }
}
