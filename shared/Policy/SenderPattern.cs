using System.Text.RegularExpressions;

namespace Sift.Policy;

/// <summary>
/// Sender patterns in a policy: a full address (<c>ana@fabrikam.com</c>), a domain with its subdomains
/// (<c>@fabrikam.com</c>), or a glob (<c>*@*.gov</c>). Always case-insensitive.
/// </summary>
public static class SenderPattern
{
    public static string? Problem(string pattern)
    {
        if (string.IsNullOrWhiteSpace(pattern) || pattern.Any(char.IsWhiteSpace))
        {
            return "a sender pattern cannot be empty or contain spaces";
        }

        if (pattern.Contains('*', StringComparison.Ordinal) || pattern.StartsWith('@'))
        {
            return pattern.Length > 1 ? null : "'@' alone matches nothing: write @fabrikam.com";
        }

        var at = pattern.IndexOf('@', StringComparison.Ordinal);
        return at > 0 && at < pattern.Length - 1 && pattern.IndexOf('@', at + 1) < 0
            ? null
            : $"'{pattern}' is not an address (ana@fabrikam.com), a domain (@fabrikam.com) or a glob (*@*.gov)";
    }

    public static bool Matches(string pattern, string address)
    {
        if (pattern.Contains('*', StringComparison.Ordinal))
        {
            var regex = "^" + Regex.Escape(pattern).Replace("\\*", ".*", StringComparison.Ordinal) + "$";
            return Regex.IsMatch(address, regex, RegexOptions.IgnoreCase | RegexOptions.CultureInvariant, TimeSpan.FromMilliseconds(50));
        }

        if (pattern.StartsWith('@'))
        {
            return address.EndsWith(pattern, StringComparison.OrdinalIgnoreCase)
                || address.EndsWith("." + pattern[1..], StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(pattern, address, StringComparison.OrdinalIgnoreCase);
    }

    public static string? FirstMatch(IEnumerable<string> patterns, string address) => patterns.FirstOrDefault(p => Matches(p, address));

    /// <summary>True when the address's domain is <paramref name="domain"/> or one of its subdomains.</summary>
    public static bool InDomain(string address, string domain)
    {
        var at = address.LastIndexOf('@');
        var host = at >= 0 ? address[(at + 1)..] : address;
        return string.Equals(host, domain, StringComparison.OrdinalIgnoreCase)
            || host.EndsWith("." + domain, StringComparison.OrdinalIgnoreCase);
    }
}
