namespace Sift.Workers;

internal static class WorkerExtensions
{
    /// <summary>
    /// The queue and timer consumers run when <c>Sift:Roles</c> includes <c>worker</c> (the default is <c>api,worker</c>),
    /// so one image scales as web replicas and worker replicas.
    /// </summary>
    public static IHostApplicationBuilder AddSiftWorkers(this IHostApplicationBuilder builder)
    {
        var roles = builder.Configuration["Sift:Roles"] ?? "api,worker";
        if (roles.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains("worker", StringComparer.OrdinalIgnoreCase))
        {
            builder.Services.AddHostedService<WorkflowWorker>();
            builder.Services.AddHostedService<MetricsRollup>();
        }

        return builder;
    }
}
