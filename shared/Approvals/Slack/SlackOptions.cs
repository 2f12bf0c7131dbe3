using System.ComponentModel.DataAnnotations;

namespace Sift.Approvals.Slack;

/// <summary>
/// Slack approvals (<c>Sift:Slack</c>): drafts waiting for review are posted to the owner's channel with Approve, Edit and
/// Reject buttons. Off unless a bot token, a signing secret and a channel are set; both secrets come from the environment
/// (<c>Sift__Slack__BotToken</c>, <c>Sift__Slack__SigningSecret</c>), never from appsettings files.
/// </summary>
public sealed class SlackOptions
{
    public const string Section = "Sift:Slack";

    /// <summary>The bot user OAuth token (<c>xoxb-…</c>) of the Slack app.</summary>
    public string? BotToken { get; set; }

    /// <summary>The app's signing secret, which signs every interactivity request.</summary>
    public string? SigningSecret { get; set; }

    /// <summary>Owner (as the policy names it, e.g. <c>support-team</c>) → Slack channel id (e.g. <c>C0123456789</c>).</summary>
    public Dictionary<string, string> Channels { get; set; } = [];

    /// <summary>The channel for owners that <see cref="Channels"/> does not name; without it those reviews stay in the console.</summary>
    public string? DefaultChannel { get; set; }

    /// <summary>Slack's Web API; tests point it at a local server.</summary>
    [Required]
    public Uri ApiBaseUrl { get; set; } = new("https://slack.com/api/");

    /// <summary>How far a request's timestamp may be from now before it is refused as a replay (Slack recommends 5 minutes).</summary>
    [Range(typeof(TimeSpan), "00:00:01", "00:05:00")]
    public TimeSpan SignatureWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Whether any Slack setting is present: a partial configuration is then an error, not a silent console fallback.</summary>
    public bool Configured =>
        !string.IsNullOrWhiteSpace(BotToken) || !string.IsNullOrWhiteSpace(SigningSecret) || !string.IsNullOrWhiteSpace(DefaultChannel) || Channels.Count > 0;

    public bool Enabled => Configured && MissingKey() is null;

    /// <summary>The first required key that is missing, named as the configuration spells it; null when complete.</summary>
    public string? MissingKey()
    {
        if (string.IsNullOrWhiteSpace(BotToken))
        {
            return $"{Section}:BotToken";
        }

        if (string.IsNullOrWhiteSpace(SigningSecret))
        {
            return $"{Section}:SigningSecret";
        }

        return string.IsNullOrWhiteSpace(DefaultChannel) && !Channels.Values.Any(c => !string.IsNullOrWhiteSpace(c))
            ? $"{Section}:Channels (or {Section}:DefaultChannel)"
            : null;
    }

    /// <summary>The channel that reviews of this owner go to, or null when they stay in the console.</summary>
    public string? ChannelFor(string owner) =>
        !Enabled ? null
        : OwnChannel(owner) is { } channel ? channel
        : string.IsNullOrWhiteSpace(DefaultChannel) ? null
        : DefaultChannel.Trim();

    /// <summary>The channel configured for this owner by name (not the default), e.g. to link it in an escalation.</summary>
    public string? OwnChannel(string owner) =>
        // Compared ignoring case here, not through the dictionary: the configuration binder may replace the dictionary and its comparer.
        Channels.FirstOrDefault(c => string.Equals(c.Key, owner, StringComparison.OrdinalIgnoreCase) && !string.IsNullOrWhiteSpace(c.Value)).Value?.Trim();
}
