using System.Text.RegularExpressions;

namespace Sift.Policy;

/// <summary>A validated policy, compiled for routing: its document, its version (content hash) and where it came from.</summary>
public sealed class LoadedPolicy
{
    private readonly IReadOnlyDictionary<(int Rule, string Field), Regex> regexes;

    private LoadedPolicy(PolicyDocument document, string version, string source, CompiledParts parts)
    {
        Document = document;
        Version = version;
        Source = source;
        regexes = parts.Regexes;
        TimeZone = parts.TimeZone;
        Clock = document.BusinessHours is { } hours ? new BusinessClock(hours, parts.TimeZone) : null;
    }

    internal static LoadedPolicy Create(PolicyDocument document, string version, string source, CompiledParts parts) => new(document, version, source, parts);

    public PolicyDocument Document { get; }

    /// <summary><c>sha256:</c> and the first 16 hex digits of the file's SHA-256.</summary>
    public string Version { get; }

    public string Source { get; }

    public TimeZoneInfo TimeZone { get; }

    /// <summary>The business hours, when the policy has them.</summary>
    public BusinessClock? Clock { get; }

    /// <summary>The kind of the sender's domain, as rules name it (internal, customer, partner, competitor or unknown).</summary>
    public string DomainKindOf(string address)
    {
        foreach (var (kind, domains) in PolicyLoader.DomainLists(Document.Domains))
        {
            if (domains.Any(d => SenderPattern.InDomain(address, d)))
            {
                return kind;
            }
        }

        return DomainKind.Unknown;
    }

    internal Regex? RegexFor(int rule, string field) => regexes.GetValueOrDefault((rule, field));
}
