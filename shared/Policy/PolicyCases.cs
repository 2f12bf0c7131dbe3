using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Sift.Mail;

namespace Sift.Policy;

/// <summary>
/// One case of a policy test file (<c>sift policy test FILE --cases CASES.json</c>): a message as the router sees it
/// (sender, mailbox, subject, text, time, classification) and the decision it must get.
/// </summary>
public sealed record PolicyCase
{
    public string Name { get; set; } = "";

    public string From { get; set; } = "";

    public string? Mailbox { get; set; }

    public string? Subject { get; set; }

    public string? Body { get; set; }

    /// <summary>When the mail arrives (business hours); a fixed Monday morning when left out, so results never depend on the day.</summary>
    public DateTimeOffset? At { get; set; }

    public CaseClassification Classification { get; set; } = new();

    public CaseExpectation Expect { get; set; } = new();
}

public sealed record CaseClassification
{
    public string Intent { get; set; } = "";

    public string Urgency { get; set; } = "normal";

    public double Confidence { get; set; } = 0.9;

    public IReadOnlyList<string> Flags { get; set; } = [];

    public string? Failure { get; set; }
}

/// <summary>What a case expects; a field left out is not checked.</summary>
public sealed record CaseExpectation
{
    public string? Action { get; set; }

    public string? Owner { get; set; }

    public string? Template { get; set; }

    public bool? DryRun { get; set; }

    /// <summary>Rules that must be in the explanation (others may be too).</summary>
    public IReadOnlyList<string>? Rules { get; set; }
}

/// <summary>The outcome of one case: the decision and every difference from what was expected.</summary>
public sealed record PolicyCaseResult(PolicyCase Case, RouteDecision Decision, ImmutableArray<string> Differences)
{
    public bool Passed => Differences.IsEmpty;
}

public static class PolicyCases
{
    public const string DefaultMailbox = "support@contoso.example";

    /// <summary>Monday 1 June 2026, 10:00 UTC: inside the usual business hours.</summary>
    public static readonly DateTimeOffset DefaultAt = new(2026, 6, 1, 10, 0, 0, TimeSpan.Zero);

    /// <summary>Reads a cases file: a JSON array of cases. Problems name the case and field.</summary>
    public static (IReadOnlyList<PolicyCase>? Cases, string? Error) Parse(ReadOnlySpan<byte> utf8)
    {
        List<PolicyCase>? cases;
        try
        {
            cases = JsonSerializer.Deserialize(utf8, PolicyJsonContext.Default.ListPolicyCase);
        }
        catch (JsonException ex)
        {
            return (null, $"not a valid cases file at {ex.Path ?? "$"} (line {ex.LineNumber + 1}): {ex.Message.Split(" Path:")[0]}");
        }

        if (cases is null or { Count: 0 })
        {
            return (null, "the cases file holds no case: expected a JSON array of cases");
        }

        for (var i = 0; i < cases.Count; i++)
        {
            var c = cases[i];
            var problem = string.IsNullOrWhiteSpace(c.Name) ? "name is required"
                : string.IsNullOrWhiteSpace(c.From) ? "from (the sender's address) is required"
                : string.IsNullOrWhiteSpace(c.Classification.Intent) ? "classification.intent is required"
                : c.Classification.Confidence is < 0 or > 1 ? "classification.confidence must be between 0 and 1"
                : c.Expect is { Action: null, Owner: null, Template: null, DryRun: null, Rules: null } ? "expect names nothing to check"
                : null;
            if (problem is not null)
            {
                return (null, $"$[{i}] ({(string.IsNullOrWhiteSpace(c.Name) ? "unnamed" : c.Name)}): {problem}");
            }
        }

        return (cases, null);
    }

    public static PolicyCaseResult Run(LoadedPolicy policy, PolicyCase test)
    {
        var at = test.At ?? DefaultAt;
        var message = new InboundMessage
        {
            InternetMessageId = $"<case-{Math.Abs(test.Name.GetHashCode(StringComparison.Ordinal))}@sift.test>",
            From = new EmailAddress(test.From),
            Subject = test.Subject ?? test.Name,
            ReceivedAt = at,
            ThreadId = "case",
            Text = test.Body ?? test.Subject ?? test.Name,
        };
        var c = test.Classification;
        var classification = new Classification.Classification(c.Intent, c.Urgency, [.. c.Flags], c.Confidence, "policy test case", "policy-test")
        {
            Failure = c.Failure,
        };
        var decision = RoutingPolicy.Decide(policy, new PolicyOptions(), message, test.Mailbox ?? DefaultMailbox, classification, at);

        var differences = ImmutableArray.CreateBuilder<string>();
        void Compare(string field, string? expected, string? actual)
        {
            if (expected is not null && !string.Equals(expected, actual, StringComparison.Ordinal))
            {
                differences.Add($"{field,-9} expected {expected}, got {actual ?? "(none)"}");
            }
        }

        var e = test.Expect;
        Compare("action", e.Action, decision.Action);
        Compare("owner", e.Owner, decision.Owner);
        Compare("template", e.Template, decision.TemplateId);
        Compare("dryRun", e.DryRun?.ToString().ToLowerInvariant(), decision.DryRun.ToString().ToLowerInvariant());
        var matched = decision.Explanation.Select(m => m.Rule).ToList();
        var missing = (e.Rules ?? []).Where(r => !matched.Contains(r, StringComparer.Ordinal)).ToList();
        if (missing.Count > 0)
        {
            differences.Add($"{"rules",-9} expected {string.Join(", ", missing)} among the matched rules, got {string.Join(", ", matched)}");
        }

        return new PolicyCaseResult(test, decision, differences.ToImmutable());
    }

    /// <summary>The readable report: one line per case, and for a failure the differences and the decision's explanation.</summary>
    public static string Report(IReadOnlyList<PolicyCaseResult> results, string policyVersion)
    {
        var text = new StringBuilder();
        foreach (var result in results)
        {
            text.Append(result.Passed ? "  pass  " : "  FAIL  ").AppendLine(result.Case.Name);
            if (result.Passed)
            {
                continue;
            }

            foreach (var difference in result.Differences)
            {
                text.Append("        - ").AppendLine(difference);
            }

            text.AppendLine("        why:");
            foreach (var match in result.Decision.Explanation)
            {
                text.Append(CultureInfo.InvariantCulture, $"          {match.Rule} → {match.Effect}: {match.Reason}").AppendLine();
            }
        }

        var failed = results.Count(r => !r.Passed);
        text.Append(CultureInfo.InvariantCulture, $"{results.Count - failed} passed, {failed} failed (policy {policyVersion})");
        return text.ToString();
    }
}
