using System.ComponentModel.DataAnnotations;

namespace Sift.WebConsole;

/// <summary>The review console (<c>Sift:Console</c>); its sign-in settings are in <see cref="Security.LocalAccountsOptions"/>.</summary>
internal sealed class ConsoleOptions
{
    public const string Section = "Sift:Console";

    /// <summary>A review whose SLA deadline is nearer than this is shown as due soon.</summary>
    [Range(typeof(TimeSpan), "00:01:00", "7.00:00:00")]
    public TimeSpan DueSoon { get; set; } = TimeSpan.FromHours(1);
}
