using Sift;
using Sift.Api;
using Sift.Approvals.Slack;
using Sift.Approvals.Teams;
using Sift.Classification;
using Sift.Classification.Llm;
using Sift.Cli;
using Sift.Drafting;
using Sift.Engine;
using Sift.Ingestion;
using Sift.Mail.Transports;
using Sift.Policy;
using Sift.Queue;
using Sift.Security;
using Sift.Storage;
using Sift.Templates;
using Sift.WebConsole;
using Sift.Workers;

var command = SiftCommand.Parse(args);
if (command.Error is not null)
{
    var help = command.Verb == "help";
    await (help ? Console.Out : Console.Error).WriteLineAsync(command.Error);
    return help ? 0 : 2;
}

if (command.Verb == "eval")
{
    return await EvalCommand.RunAsync(command.HostArgs, Console.Out, Console.Error);
}

if (command.Verb == "policy")
{
    return await PolicyCommand.RunAsync(command.HostArgs, Console.Out, Console.Error);
}

if (command.Verb == "hash-password")
{
    return await HashPasswordCommand.RunAsync(Console.In, Console.Out, Console.Error);
}

if (command.Verb == "train")
{
    return await TrainCommand.RunAsync(command.HostArgs, Console.Out, Console.Error, CancellationToken.None);
}

var builder = WebApplication.CreateBuilder(command.HostArgs);
command.Configure(builder);

builder.AddSiftDefaults();
builder.AddSiftStorage();
builder.AddSiftQueue();
builder.AddSiftIngestion();
builder.AddGraphIngestion();
builder.AddGmailIngestion();
builder.AddImapIngestion();
builder.AddSiftClassification();
builder.AddSiftLlm();
builder.AddSiftPolicy();
builder.AddSiftSending();
builder.AddSiftTemplates();
builder.AddSiftDrafting();
builder.AddSiftSlack();
builder.AddSiftTeams();
builder.AddSiftWorkflows();
builder.AddSiftApi();
builder.AddSiftSecurity();
builder.AddSiftConsole();
builder.AddSiftWorkers();

var app = builder.Build();
app.MapSiftDefaults();
app.UseAuthentication();
app.UseAuthorization();
app.UseRateLimiter();
app.MapSiftConsole();
app.MapMessagesApi();
app.MapPolicyApi();
app.MapFeedbackApi();
app.MapGraphWebhooks();
app.MapGmailWebhooks();
app.MapIngestApi();
app.MapImapIngestApi();
app.MapSlackInteractions();
app.MapTeamsApprovals();

return await command.RunAsync(app);

/// <summary>The entry point, visible to the test host.</summary>
public partial class Program;
