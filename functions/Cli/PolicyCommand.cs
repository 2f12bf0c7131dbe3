using Microsoft.Extensions.Options;
using Sift.Classification;
using Sift.Policy;
using Sift.Templates;

namespace Sift.Cli;

/// <summary>
/// <c>sift policy check FILE</c> validates a policy document against the schema, the taxonomy and the templates this
/// installation has; <c>sift policy test FILE --cases CASES.json</c> also runs the cases and shows a readable diff for each
/// failure. Exit status: 0 valid and passing, 1 invalid or failing, 2 wrong usage or unreadable files.
/// </summary>
internal static class PolicyCommand
{
    private const string Usage = """
        Usage: sift policy check FILE [--config SETTINGS.json]
               sift policy test FILE --cases CASES.json [--config SETTINGS.json]
        The taxonomy (Sift:Taxonomy) and templates (Sift:Templates:Folder) come from appsettings.json, the environment
        and --config, as the service reads them.
        """;

    public static async Task<int> RunAsync(string[] args, TextWriter output, TextWriter error)
    {
        if (args.Length < 2 || args[0] is not ("check" or "test"))
        {
            await error.WriteLineAsync(Usage);
            return 2;
        }

        string? cases = null, config = null;
        for (var i = 2; i < args.Length; i += 2)
        {
            if (args[i] is not ("--cases" or "--config") || i + 1 >= args.Length)
            {
                await error.WriteLineAsync($"Unknown option or missing value: '{args[i]}'.\n{Usage}");
                return 2;
            }

            (cases, config) = args[i] == "--cases" ? (args[i + 1], config) : (cases, args[i + 1]);
        }

        if (args[0] == "test" && cases is null)
        {
            await error.WriteLineAsync($"policy test needs --cases CASES.json.\n{Usage}");
            return 2;
        }

        var file = Path.GetFullPath(args[1]);
        if (!File.Exists(file))
        {
            await error.WriteLineAsync($"No policy file at '{file}'.");
            return 2;
        }

        PolicyVocabulary vocabulary;
        try
        {
            vocabulary = Vocabulary(config);
        }
        catch (Exception ex) when (ex is OptionsValidationException or TemplateFormatException or IOException or InvalidDataException or FormatException)
        {
            await error.WriteLineAsync($"The taxonomy or the templates could not be read: {ex.Message}");
            return 2;
        }

        var result = PolicyLoader.Load(await File.ReadAllBytesAsync(file), vocabulary, file);
        foreach (var warning in result.Warnings)
        {
            await output.WriteLineAsync($"warning  {warning.Path}: {warning.Message}");
        }

        if (result.Policy is not { } policy)
        {
            foreach (var problem in result.Errors)
            {
                await output.WriteLineAsync($"error    {problem.Path}: {problem.Message}");
            }

            await output.WriteLineAsync($"{file} is invalid: {result.Errors.Length} error(s). The running policy would stay in place.");
            return 1;
        }

        var document = policy.Document;
        await output.WriteLineAsync($"{file} is valid: policy {policy.Version}, {document.Intents.Count} intents, {document.Rules.Count} rules.");
        if (cases is null)
        {
            return 0;
        }

        var casesFile = Path.GetFullPath(cases);
        if (!File.Exists(casesFile))
        {
            await error.WriteLineAsync($"No cases file at '{casesFile}'.");
            return 2;
        }

        var (parsed, casesProblem) = PolicyCases.Parse(await File.ReadAllBytesAsync(casesFile));
        if (parsed is null)
        {
            await error.WriteLineAsync($"{casesFile}: {casesProblem}");
            return 2;
        }

        var results = parsed.Select(c => PolicyCases.Run(policy, c)).ToList();
        await output.WriteLineAsync(PolicyCases.Report(results, policy.Version));
        return results.TrueForAll(r => r.Passed) ? 0 : 1;
    }

    /// <summary>The names a policy may use, read from configuration the way the service reads them.</summary>
    private static PolicyVocabulary Vocabulary(string? configFile)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration
            .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json"), optional: true)
            .AddEnvironmentVariables();
        if (configFile is not null)
        {
            builder.Configuration.AddJsonFile(Path.GetFullPath(configFile), optional: false);
        }

        builder.AddSiftClassification();
        builder.Services.AddOptions<TemplateOptions>().BindConfiguration(TemplateOptions.Section);
        using var host = builder.Build();
        var taxonomy = host.Services.GetRequiredService<IOptions<TaxonomyOptions>>().Value;
        var templates = TemplateLibrary.Load(host.Services.GetRequiredService<IOptions<TemplateOptions>>().Value.ResolvedFolder);
        return PolicyStore.VocabularyOf(taxonomy, templates);
    }
}
