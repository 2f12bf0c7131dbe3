using System.Globalization;
using Sift.Filtering;
using Sift.Privacy;

namespace Sift.Cli;

/// <summary>
/// <c>sift eval prefilter [--data DIR] [--verbose]</c>: runs the pre-filter over the public corpora (default <c>../shared/data</c>) and
/// prints machine-mail recall, human mail wrongly filtered, spam recall and ham false positives. Needs no host or database.
/// </summary>
internal static class EvalCommand
{
    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length == 0 || args[0] is not ("prefilter" or "pii"))
        {
            await error.WriteLineAsync("Usage: sift eval prefilter|pii [--data DIR] [--verbose]   (DIR defaults to ../shared/data)");
            return 2;
        }

        var data = DefaultDataFolder();
        var verbose = false;
        for (var i = 1; i < args.Length; i++)
        {
            if (args[i] == "--data" && i + 1 < args.Length)
            {
                data = args[++i];
            }
            else if (args[i] == "--verbose")
            {
                verbose = true;
            }
            else
            {
                await error.WriteLineAsync($"Unknown option '{args[i]}'. Usage: sift eval prefilter|pii [--data DIR] [--verbose]");
                return 2;
            }
        }

        if (data is null || !Directory.Exists(data))
        {
            await error.WriteLineAsync($"No evaluation data at '{(data is null ? "../shared/data beside the repository" : Path.GetFullPath(data))}': pass --data DIR (the folder holding bounces-autoreplies-sisimai, autoreplies-helpdesk-fixtures and spam-ham-spamassassin).");
            return 2;
        }

        if (args[0] == "pii")
        {
            if (!File.Exists(Path.Combine(data, PiiEvaluation.Folder, "pii_spans.jsonl")))
            {
                await error.WriteLineAsync($"No {PiiEvaluation.Folder}/pii_spans.jsonl under '{Path.GetFullPath(data)}'.");
                return 2;
            }

            await output.WriteLineAsync($"PII redaction on {Path.GetFullPath(Path.Combine(data, PiiEvaluation.Folder))}");
            await output.WriteLineAsync();
            await output.WriteAsync(PiiEvaluation.Format(PiiEvaluation.Run(data)));
            return 0;
        }

        var outcomes = PrefilterEvaluation.Run(data, TimeProvider.System.GetUtcNow());
        if (outcomes.Count == 0)
        {
            await error.WriteLineAsync($"None of the pre-filter corpora was found under '{Path.GetFullPath(data)}'.");
            return 2;
        }

        await output.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Pre-filter on {outcomes.Count} labelled messages from {Path.GetFullPath(data)}"));
        await output.WriteLineAsync();
        await output.WriteAsync(PrefilterEvaluation.Format(PrefilterEvaluation.Tally(outcomes)));
        if (verbose)
        {
            foreach (var o in outcomes)
            {
                await output.WriteLineAsync($"{o.Corpus}\t{o.Id}\t{o.Kind}\t{o.Subset}\t{o.Verdict?.Category ?? "unparsed"}\t{o.SpamPoints:0.#}\t{o.Verdict?.Reason ?? o.ParseError}");
            }
        }

        return 0;
    }

    /// <summary>The <c>shared/data</c> folder beside the repository (found from the working directory up to the folder holding Sift.sln).</summary>
    private static string? DefaultDataFolder()
    {
        for (var dir = new DirectoryInfo(Directory.GetCurrentDirectory()); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sift.sln")))
            {
                return Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data"));
            }
        }

        return Directory.Exists("../shared/data") ? "../shared/data" : null;
    }
}
