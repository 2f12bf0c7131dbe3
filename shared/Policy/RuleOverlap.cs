namespace Sift.Policy;

/// <summary>
/// Finds rules that an earlier rule hides: when the earlier rule matches every mail the later one matches, the later
/// one's owner and template never apply (the first rule to set them wins) and an action no safer than the earlier
/// one's changes nothing. A rule with nothing left to do is an error; one that lost only part of its effect, a warning.
/// </summary>
internal static class RuleOverlap
{
    public static void Check(IReadOnlyList<PolicyRule> rules, List<PolicyProblem> errors, List<PolicyProblem> warnings)
    {
        for (var j = 1; j < rules.Count; j++)
        {
            var later = rules[j];
            for (var i = 0; i < j; i++)
            {
                var earlier = rules[i];
                if (!Covers(earlier.When, later.When))
                {
                    continue;
                }

                var lost = new List<string>();
                var kept = new List<string>();
                Sort(later.Then.Owner, earlier.Then.Owner is not null, "owner", lost, kept);
                Sort(later.Then.Template, earlier.Then.Template is not null, "template", lost, kept);
                Sort(later.Then.Action, earlier.Then.Action is { } a && later.Then.Action is { } b && RouteAction.Rank(a) >= RouteAction.Rank(b), "action", lost, kept);
                if (lost.Count == 0)
                {
                    continue;
                }

                var why = $"rule '{earlier.Name}' ($.rules[{i}]) comes first and matches every mail this rule matches";
                if (kept.Count == 0)
                {
                    errors.Add(new PolicyProblem($"$.rules[{j}]", $"overlapping rules: rule '{later.Name}' can never change a decision: {why}, and already sets its {string.Join(" and ", lost)}"));
                }
                else
                {
                    warnings.Add(new PolicyProblem($"$.rules[{j}]", $"overlapping rules: the {string.Join(" and ", lost)} of rule '{later.Name}' never apply: {why}"));
                }

                break;
            }
        }
    }

    private static void Sort(string? effect, bool hidden, string name, List<string> lost, List<string> kept)
    {
        if (effect is null)
        {
            return;
        }

        (hidden ? lost : kept).Add(name);
    }

    /// <summary>True when every mail <paramref name="narrow"/> matches is also matched by <paramref name="wide"/>.</summary>
    internal static bool Covers(RuleConditions wide, RuleConditions narrow) =>
        Subset(wide.Senders, narrow.Senders)
        && Subset(wide.SenderDomain, narrow.SenderDomain)
        && Subset(wide.Mailboxes, narrow.Mailboxes)
        && Subset(wide.Intents, narrow.Intents)
        && Subset(wide.Urgencies, narrow.Urgencies)
        && Subset(wide.Flags, narrow.Flags)
        && (wide.ConfidenceBelow is not { } w || (narrow.ConfidenceBelow is { } n && n <= w))
        && (wide.Subject is null || string.Equals(wide.Subject, narrow.Subject, StringComparison.Ordinal))
        && (wide.Body is null || string.Equals(wide.Body, narrow.Body, StringComparison.Ordinal))
        && (wide.OutsideBusinessHours is null || wide.OutsideBusinessHours == narrow.OutsideBusinessHours);

    /// <summary>A missing condition matches everything; a list matches any of its values, so a sub-list matches less.</summary>
    private static bool Subset(IReadOnlyList<string>? wide, IReadOnlyList<string>? narrow) =>
        wide is null || (narrow is not null && narrow.All(n => wide.Contains(n, StringComparer.OrdinalIgnoreCase)));
}
