namespace Sift.Workers;

internal static class WorkerExtensions
{
    /// <summary>
    /// The queue and timer consumers. They run when <c>Sift:Roles</c> includes <c>worker</c> (the default is <c>api,worker</c>),
    /// so one image scales as web replicas and worker replicas.
    /// </summary>
    public static IHostApplicationBuilder AddSiftWorkers(this IHostApplicationBuilder builder)
    {
        builder.Services.AddHostedService<WorkflowWorker>();
        builder.Services.AddHostedService<MetricsRollup>();
        builder.Services.AddHostedService<IngestWorker>();
        return builder;
    }
}
