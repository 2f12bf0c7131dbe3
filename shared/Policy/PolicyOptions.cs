using System.ComponentModel.DataAnnotations;

namespace Sift.Policy;

/// <summary>
/// Section <c>Sift:Policy</c>: where the policy document is, and the operator's two levers that act over any document
/// (they can only make Sift safer, and every decision names them when they apply).
/// </summary>
public sealed class PolicyOptions
{
    public const string Section = "Sift:Policy";

    /// <summary>The policy document; a relative path is taken from the executable's folder, where the shipped policy is copied.</summary>
    public string File { get; set; } = "policy/policy.json";

    /// <summary>Turns every auto-send into a review, whatever the document says.</summary>
    public bool KillSwitch { get; set; }

    /// <summary>Decide and record everything, send nothing, whatever the document says.</summary>
    public bool DryRun { get; set; }

    /// <summary>How often the file is checked for a new version (a file watcher does not see every mounted volume change).</summary>
    [Range(typeof(TimeSpan), "00:00:00.050", "01:00:00")]
    public TimeSpan ReloadInterval { get; set; } = TimeSpan.FromSeconds(10);

    public string ResolvedFile => Path.IsPathRooted(File) ? File : Path.Combine(AppContext.BaseDirectory, File);
}
