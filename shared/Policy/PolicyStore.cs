using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Sift.Classification;
using Sift.Templates;

namespace Sift.Policy;

/// <summary>
/// Holds the running policy. It is read from <see cref="PolicyOptions.File"/> when the host starts (an invalid file stops
/// the start, naming every problem) and re-read when the file changes (see <see cref="PolicyWatcher"/>); a new version
/// replaces the running one only when it is valid in full.
/// </summary>
public sealed partial class PolicyStore
{
    private readonly string file;
    private readonly ILogger<PolicyStore> logger;
    private LoadedPolicy current;
    private string? seenOnce;

    public PolicyStore(IOptions<PolicyOptions> options, IOptions<TaxonomyOptions> taxonomy, TemplateLibrary templates, ILogger<PolicyStore> logger)
    {
        file = options.Value.ResolvedFile;
        this.logger = logger;
        Vocabulary = VocabularyOf(taxonomy.Value, templates);
        if (!System.IO.File.Exists(file))
        {
            throw new PolicyLoadException(file, [new PolicyProblem("$", $"the policy file {file} does not exist (Sift:Policy:File)")]);
        }

        var result = PolicyLoader.Load(System.IO.File.ReadAllBytes(file), Vocabulary, file);
        current = result.Policy ?? throw new PolicyLoadException(file, result.Errors);
        foreach (var warning in result.Warnings)
        {
            LogWarning(logger, file, warning.Path, warning.Message);
        }
    }

    public LoadedPolicy Current => Volatile.Read(ref current);

    /// <summary>What the policy may name: the taxonomy and the template ids.</summary>
    public PolicyVocabulary Vocabulary { get; }

    /// <summary>The policy file this host reads.</summary>
    public string File => file;

    public static PolicyVocabulary VocabularyOf(TaxonomyOptions taxonomy, TemplateLibrary templates) => new(
        taxonomy.IntentNames,
        [.. taxonomy.Urgencies],
        [.. taxonomy.PolicyFlags],
        templates.All.GroupBy(t => t.Id, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.All(t => t.AutoSendAllowed), StringComparer.Ordinal));

    /// <summary>Validates a document against this host's taxonomy and templates, without loading it.</summary>
    public PolicyLoadResult Validate(ReadOnlySpan<byte> utf8, string source) => PolicyLoader.Load(utf8, Vocabulary, source);

    /// <summary>
    /// Reads the file again; a different version seen on two reads in a row replaces the running one when valid, and is
    /// refused when not. Called by one watcher, never concurrently.
    /// </summary>
    public PolicyChange? ReloadIfChanged()
    {
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(file);
        }
        catch (IOException ex)
        {
            // Editors replace files in several steps: the next check reads the finished one.
            LogUnreadable(logger, file, ex.Message);
            return null;
        }

        var running = Current;
        var version = PolicyLoader.VersionOf(bytes);
        if (version == running.Version)
        {
            seenOnce = null;
            return null;
        }

        // A file is read only once it reads the same twice in a row: an editor or a copy may still be writing it.
        if (seenOnce != version)
        {
            seenOnce = version;
            return null;
        }

        var result = PolicyLoader.Load(bytes, Vocabulary, file);
        if (result.Policy is not { } loaded)
        {
            return new PolicyChange(running, null, version, result.Errors);
        }

        Volatile.Write(ref current, loaded);
        LogLoaded(logger, loaded.Version, file, running.Version);
        return new PolicyChange(running, loaded, loaded.Version, result.Warnings);
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy {File}: {Path}: {Problem}")]
    private static partial void LogWarning(ILogger logger, string file, string path, string problem);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Policy {File} could not be read; the running policy stays: {Reason}")]
    private static partial void LogUnreadable(ILogger logger, string file, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "Policy {Version} loaded from {File}; it replaces {Previous}")]
    private static partial void LogLoaded(ILogger logger, string version, string file, string previous);
}

/// <summary>A changed policy file: the policy it replaced (or would have), the new one when valid, and its problems.</summary>
public sealed record PolicyChange(LoadedPolicy Previous, LoadedPolicy? Loaded, string Version, ImmutableArray<PolicyProblem> Problems)
{
    public bool Accepted => Loaded is not null;
}

/// <summary>A policy that cannot be used, with every problem found in it.</summary>
public sealed class PolicyLoadException(string source, ImmutableArray<PolicyProblem> problems)
    : Exception($"The policy {source} is invalid:\n  " + string.Join("\n  ", problems))
{
    public ImmutableArray<PolicyProblem> Problems { get; } = problems;
}
