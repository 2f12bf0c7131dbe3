using Sift.Storage;

namespace Sift.Cli;

/// <summary>
/// The verbs of the one executable: <c>serve</c> (the default), <c>demo</c>, <c>migrate</c>, <c>eval</c>, <c>train</c> and <c>policy</c>.
/// Everything after the verb is passed to the host as configuration (e.g. <c>--Sift:DataDirectory=/var/sift</c>).
/// </summary>
internal sealed class SiftCommand
{
    private SiftCommand(string verb, string[] hostArgs, string? error)
    {
        Verb = verb;
        HostArgs = hostArgs;
        Error = error;
    }

    public string Verb { get; }

    public string[] HostArgs { get; }

    public string? Error { get; }

    public static SiftCommand Parse(string[] args)
    {
        if (args.Length > 0 && args[0] is "help" or "--help" or "-h")
        {
            return new SiftCommand("help", [], Usage);
        }

        if (args.Length == 0 || args[0].StartsWith('-'))
        {
            return new SiftCommand("serve", args, null);
        }

        return args[0] switch
        {
            "serve" or "demo" or "migrate" or "eval" or "train" or "policy" or "hash-password" => new SiftCommand(args[0], args[1..], null),
            _ => new SiftCommand(args[0], [], $"Unknown command '{args[0]}'.\n\n{Usage}"),
        };
    }

    public void Configure(WebApplicationBuilder builder)
    {
        if (Verb == "demo")
        {
            DemoCommand.Configure(builder);
        }
    }

    public async Task<int> RunAsync(WebApplication app)
    {
        await app.Services.GetRequiredService<Migrator>().MigrateAsync(CancellationToken.None);
        switch (Verb)
        {
            case "migrate":
                await Console.Out.WriteLineAsync($"Database is up to date ({app.Services.GetRequiredService<SiftDatabase>().Description}).");
                return 0;
            case "demo":
                return await DemoCommand.RunAsync(app);
            default:
                await app.RunAsync();
                return 0;
        }
    }

    private const string Usage = """
        Usage: sift [command] [--Key=Value ...]

        Commands:
          serve     Run the HTTP API and the workers (default). Listens on http://localhost:5080.
          demo      Triage the sample mailbox end to end on the embedded default and print the decisions.
          migrate   Apply database migrations and exit.
          eval prefilter|pii [--data DIR] [--verbose]
                    Measure the pre-filter or the PII redaction on the public corpora (default ../shared/data).
          eval [intents] --data FILE.jsonl [--model FILE | --llm [--config FILE.json]] [--holdout FRACTION] [--where FIELD=V1,V2]
                    [--unknown-label LABEL] [--target-precision 0.98] [--out report.json]
                    Score an intent classifier on labelled JSONL: accuracy, macro-F1, risk-coverage, calibration, abstention.
          policy check FILE | policy test FILE --cases CASES.json
                    Validate a policy document (schema, taxonomy, templates, overlapping rules) and run its test cases.
          train --data FILE.jsonl --out MODEL [--text-field body] [--label-field label] [--where FIELD=V1,V2] [--holdout FRACTION]
                    [--features default|practitioner]
                    Train the local intent classifier on labelled JSONL (with --holdout: on the "train" part only).
          hash-password
                    Read a password (one line) from standard input and print its hash for Sift:Console:LocalAdmin:PasswordHash.

        Configuration (appsettings.json, environment variables such as Sift__DataDirectory, or --Key=Value):
          Sift:DataDirectory          SQLite database and dry-run outbox folder (default ./data)
          ConnectionStrings:Postgres  use PostgreSQL instead of SQLite
          ConnectionStrings:Redis     use Redis for dedupe and rate limits
          Sift:ApiKey                 require X-Api-Key (without it, the API answers loopback callers only)
          Sift:Roles                  api,worker (default), api, or worker
          Sift:Classification:Llm:Provider   none (default), openai, azure-openai, anthropic or openai-compatible
        """;
}
