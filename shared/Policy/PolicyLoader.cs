using System.Collections.Frozen;
using System.Collections.Immutable;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Json.Schema;

namespace Sift.Policy;

/// <summary>A problem in a policy document: where (a JSONPath such as <c>$.intents.pricing.minConfidence</c>) and what.</summary>
public sealed record PolicyProblem(string Path, string Message)
{
    public override string ToString() => $"{Path}: {Message}";
}

/// <summary>What a policy may refer to: the taxonomy's names, and the template ids with whether each may be sent automatically.</summary>
public sealed record PolicyVocabulary(
    ImmutableArray<string> Intents,
    ImmutableArray<string> Urgencies,
    ImmutableArray<string> Flags,
    IReadOnlyDictionary<string, bool> Templates);

/// <summary>A validated policy, or every problem that kept it from loading.</summary>
public sealed record PolicyLoadResult(LoadedPolicy? Policy, ImmutableArray<PolicyProblem> Errors, ImmutableArray<PolicyProblem> Warnings)
{
    public bool IsValid => Policy is not null;
}

/// <summary>
/// Reads a policy document: JSON syntax, then the published JSON Schema, then what a schema cannot say (names the
/// taxonomy and the templates must know, regular expressions, time zones, rules that can never apply). A document with
/// any error is refused whole: nothing of it is used.
/// </summary>
public static class PolicyLoader
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
    {
        using var stream = typeof(PolicyLoader).Assembly.GetManifestResourceStream("Sift.Policy.policy.schema.json")
            ?? throw new InvalidOperationException("The policy schema is not embedded in Sift.Shared.");
        using var reader = new StreamReader(stream);
        return JsonSchema.FromText(reader.ReadToEnd());
    });

    /// <summary>The published schema (<c>policy/policy.schema.json</c>), as embedded in the build.</summary>
    public static string SchemaText()
    {
        using var stream = typeof(PolicyLoader).Assembly.GetManifestResourceStream("Sift.Policy.policy.schema.json")!;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }

    public static PolicyLoadResult Load(ReadOnlySpan<byte> utf8, PolicyVocabulary vocabulary, string source = "policy")
    {
        var version = VersionOf(utf8);
        JsonDocument json;
        try
        {
            json = JsonDocument.Parse(utf8.ToArray(), new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true });
        }
        catch (JsonException ex)
        {
            return Refused(new PolicyProblem(ex.Path is { Length: > 0 } p ? p : "$",
                string.Create(CultureInfo.InvariantCulture, $"not valid JSON (line {ex.LineNumber + 1}, position {ex.BytePositionInLine + 1}): {ex.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}")));
        }

        using (json)
        {
            var schemaErrors = SchemaProblems(json.RootElement);
            if (!schemaErrors.IsEmpty)
            {
                return new PolicyLoadResult(null, schemaErrors, []);
            }

            PolicyDocument document;
            try
            {
                document = json.RootElement.Deserialize(PolicyJsonContext.Default.PolicyDocument)!;
            }
            catch (JsonException ex)
            {
                // The schema's "integer" accepts 60.0 and 6e1; the document's int does not.
                return Refused(new PolicyProblem(ex.Path is { Length: > 0 } p ? p : "$", $"the value does not fit its type: {ex.Message.Split(" Path:")[0]} Write whole numbers without a decimal point."));
            }

            var errors = new List<PolicyProblem>();
            var warnings = new List<PolicyProblem>();
            var compiled = Check(document, vocabulary, errors, warnings);
            return errors.Count > 0
                ? new PolicyLoadResult(null, [.. errors], [.. warnings])
                : new PolicyLoadResult(LoadedPolicy.Create(document, version, source, compiled), [], [.. warnings]);
        }
    }

    /// <summary>The policy version stored with every decision: the SHA-256 of the file's bytes, so <c>sha256sum</c> confirms it.</summary>
    public static string VersionOf(ReadOnlySpan<byte> utf8) => "sha256:" + Convert.ToHexStringLower(SHA256.HashData(utf8))[..16];

    private static PolicyLoadResult Refused(PolicyProblem problem) => new(null, [problem], []);

    private static ImmutableArray<PolicyProblem> SchemaProblems(JsonElement root)
    {
        var results = Schema.Value.Evaluate(root, new EvaluationOptions { OutputFormat = OutputFormat.List });
        if (results.IsValid)
        {
            return [];
        }

        var problems = new List<PolicyProblem>();
        foreach (var detail in results.Details ?? [])
        {
            if (detail.Errors is not { Count: > 0 } errors)
            {
                continue;
            }

            var path = JsonPath(detail.InstanceLocation.ToString());
            foreach (var (keyword, message) in errors)
            {
                problems.Add(new PolicyProblem(path, Explain(keyword, message, path)));
            }
        }

        return [.. problems.Distinct().OrderBy(p => p.Path, StringComparer.Ordinal)];
    }

    /// <summary>The validator's message, with the one it words for machines (a property the schema does not know) reworded.</summary>
    private static string Explain(string keyword, string message, string path) =>
        message.Contains("false schema", StringComparison.Ordinal)
            ? $"'{path[(path.LastIndexOfAny(['.', '['])+1)..].TrimEnd(']').Trim('\'')}' is not a property the policy schema knows here: check its spelling against policy/policy.schema.json"
            : keyword.Length > 0 ? $"{message} (schema keyword: {keyword})" : message;

    /// <summary>A JSON Pointer (<c>/rules/0/when</c>) as the JSONPath people read (<c>$.rules[0].when</c>).</summary>
    public static string JsonPath(string location)
    {
        var path = new StringBuilder("$");
        foreach (var raw in location.Split('/', StringSplitOptions.RemoveEmptyEntries))
        {
            var segment = raw.Replace("~1", "/", StringComparison.Ordinal).Replace("~0", "~", StringComparison.Ordinal);
            if (segment.All(char.IsAsciiDigit))
            {
                path.Append('[').Append(segment).Append(']');
            }
            else if (segment.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-'))
            {
                path.Append('.').Append(segment);
            }
            else
            {
                path.Append("['").Append(segment.Replace("'", "\\'", StringComparison.Ordinal)).Append("']");
            }
        }

        return path.ToString();
    }

    private static CompiledParts Check(PolicyDocument policy, PolicyVocabulary vocabulary, List<PolicyProblem> errors, List<PolicyProblem> warnings)
    {
        var intents = vocabulary.Intents.ToFrozenSet(StringComparer.Ordinal);
        var urgencies = vocabulary.Urgencies.ToFrozenSet(StringComparer.Ordinal);
        var flags = vocabulary.Flags.ToFrozenSet(StringComparer.Ordinal);

        void Known(string path, string value, FrozenSet<string> known, string what)
        {
            if (!known.Contains(value))
            {
                errors.Add(new PolicyProblem(path, $"unknown {what} '{value}'; the taxonomy has: {string.Join(", ", known.Order(StringComparer.Ordinal))}"));
            }
        }

        void Template(string path, string id, bool auto)
        {
            if (!vocabulary.Templates.TryGetValue(id, out var autoSendAllowed))
            {
                errors.Add(new PolicyProblem(path, $"no template has the id '{id}'; the templates are: {string.Join(", ", vocabulary.Templates.Keys.Order(StringComparer.Ordinal))}"));
            }
            else if (auto && !autoSendAllowed)
            {
                errors.Add(new PolicyProblem(path, $"template '{id}' is not allowed for auto-send (auto_send: false in its front matter), so this intent cannot be 'auto'"));
            }
        }

        foreach (var (urgency, _) in policy.Sla)
        {
            Known($"$.sla.{urgency}", urgency, urgencies, "urgency");
        }

        foreach (var (name, intent) in policy.Intents)
        {
            var path = JsonPath("/intents/" + name);
            Known(path, name, intents, "intent");
            if (intent.Template is { } template)
            {
                Template(path + ".template", template, intent.Mode == RouteAction.Auto);
            }
            else if (intent.Mode == RouteAction.Auto)
            {
                errors.Add(new PolicyProblem(path + ".template", "an intent answered automatically needs a template"));
            }

            foreach (var (urgency, _) in intent.Sla)
            {
                Known($"{path}.sla.{urgency}", urgency, urgencies, "urgency");
            }
        }

        var timeZone = TimeZoneInfo.Utc;
        if (policy.TimeZone is { } zone && !TimeZoneInfo.TryFindSystemTimeZoneById(zone, out timeZone!))
        {
            errors.Add(new PolicyProblem("$.timeZone", $"unknown time zone '{zone}': use an IANA name such as Europe/London or America/New_York"));
            timeZone = TimeZoneInfo.Utc;
        }

        if (policy.BusinessHours is { } hours && string.CompareOrdinal(hours.Start, hours.End) >= 0)
        {
            errors.Add(new PolicyProblem("$.businessHours.end", $"business hours end ({hours.End}) must be after they start ({hours.Start})"));
        }

        CheckSenders(policy, errors, warnings);

        var regexes = new Dictionary<(int Rule, string Field), Regex>();
        var names = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < policy.Rules.Count; i++)
        {
            var rule = policy.Rules[i];
            var path = $"$.rules[{i}]";
            if (names.TryGetValue(rule.Name, out var first))
            {
                errors.Add(new PolicyProblem(path + ".name", $"rule name '{rule.Name}' is already used by $.rules[{first}]"));
            }
            else if (RoutingPolicy.BuiltInRules.Contains(rule.Name))
            {
                errors.Add(new PolicyProblem(path + ".name", $"'{rule.Name}' is the name of a built-in rule; explanations would be ambiguous"));
            }
            else
            {
                names[rule.Name] = i;
            }

            var when = rule.When;
            for (var k = 0; k < (when.Intents?.Count ?? 0); k++)
            {
                Known($"{path}.when.intents[{k}]", when.Intents![k], intents, "intent");
            }

            for (var k = 0; k < (when.Urgencies?.Count ?? 0); k++)
            {
                Known($"{path}.when.urgencies[{k}]", when.Urgencies![k], urgencies, "urgency");
            }

            for (var k = 0; k < (when.Flags?.Count ?? 0); k++)
            {
                Known($"{path}.when.flags[{k}]", when.Flags![k], flags, "policy flag");
            }

            for (var k = 0; k < (when.Senders?.Count ?? 0); k++)
            {
                CheckPattern($"{path}.when.senders[{k}]", when.Senders![k], errors);
            }

            foreach (var (field, pattern) in new[] { ("subject", when.Subject), ("body", when.Body) })
            {
                if (pattern is null)
                {
                    continue;
                }

                try
                {
                    regexes[(i, field)] = new Regex(pattern, RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(100));
                }
                catch (ArgumentException ex)
                {
                    errors.Add(new PolicyProblem($"{path}.when.{field}", $"not a valid regular expression: {ex.Message}"));
                }
            }

            if (when.OutsideBusinessHours is not null && policy.BusinessHours is null)
            {
                errors.Add(new PolicyProblem($"{path}.when.outsideBusinessHours", "the policy has no businessHours to compare with"));
            }

            if (rule.Then.Template is { } template)
            {
                Template($"{path}.then.template", template, auto: false);
            }
        }

        RuleOverlap.Check(policy.Rules, errors, warnings);
        return new CompiledParts(timeZone, regexes);
    }

    private static void CheckSenders(PolicyDocument policy, List<PolicyProblem> errors, List<PolicyProblem> warnings)
    {
        for (var k = 0; k < policy.Senders.Allow.Count; k++)
        {
            CheckPattern($"$.senders.allow[{k}]", policy.Senders.Allow[k], errors);
        }

        for (var k = 0; k < policy.Senders.Block.Count; k++)
        {
            var entry = policy.Senders.Block[k];
            CheckPattern($"$.senders.block[{k}]", entry, errors);
            if (policy.Senders.Allow.Contains(entry, StringComparer.OrdinalIgnoreCase))
            {
                errors.Add(new PolicyProblem($"$.senders.block[{k}]", $"'{entry}' is on both the allowlist and the blocklist"));
            }

            if (policy.Vips.Contains(entry, StringComparer.OrdinalIgnoreCase))
            {
                warnings.Add(new PolicyProblem($"$.senders.block[{k}]", $"'{entry}' is a VIP and blocked: the blocklist wins, a person decides"));
            }
        }

        for (var k = 0; k < policy.Vips.Count; k++)
        {
            CheckPattern($"$.vips[{k}]", policy.Vips[k], errors);
        }

        var seen = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var (kind, list) in DomainLists(policy.Domains))
        {
            for (var k = 0; k < list.Count; k++)
            {
                if (seen.TryGetValue(list[k], out var other))
                {
                    errors.Add(new PolicyProblem($"$.domains.{kind}[{k}]", $"'{list[k]}' is already a {other} domain: a domain has one kind"));
                }
                else
                {
                    seen[list[k]] = kind;
                }
            }
        }
    }

    internal static IEnumerable<(string Kind, IReadOnlyList<string> Domains)> DomainLists(DomainKinds domains) =>
    [
        (DomainKind.Internal, domains.Internal),
        (DomainKind.Customer, domains.Customer),
        (DomainKind.Partner, domains.Partner),
        (DomainKind.Competitor, domains.Competitor),
    ];

    private static void CheckPattern(string path, string pattern, List<PolicyProblem> errors)
    {
        if (SenderPattern.Problem(pattern) is { } problem)
        {
            errors.Add(new PolicyProblem(path, problem));
        }
    }
}

/// <summary>The parts of a policy compiled while it was checked.</summary>
internal sealed record CompiledParts(TimeZoneInfo TimeZone, IReadOnlyDictionary<(int Rule, string Field), Regex> Regexes);
