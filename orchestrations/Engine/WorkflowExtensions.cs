using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sift.Triage;

namespace Sift.Engine;

public static class WorkflowExtensions
{
    public static IHostApplicationBuilder AddSiftWorkflows(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<WorkflowOptions>().BindConfiguration(WorkflowOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<WorkflowStore>();
        builder.Services.AddSingleton<WorkflowRunner>();
        builder.Services.AddSingleton<WorkflowCommands>();
        builder.Services.AddSingleton<TriageActivities>();
        builder.Services.AddSingleton<TriageWorkflow>();
        return builder;
    }
}
