using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Sift.Hosting;

public static class LoadAtStartExtensions
{
    /// <summary>
    /// Builds the singleton <typeparamref name="T"/> when the host starts, so that a broken file behind it (a model, a
    /// template) stops the start with its name instead of failing the first message.
    /// </summary>
    public static IServiceCollection LoadAtStart<T>(this IServiceCollection services)
        where T : notnull
    {
        services.AddHostedService<StartupLoader<T>>();
        return services;
    }

    private sealed class StartupLoader<T>(IServiceProvider services) : IHostedService
        where T : notnull
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetRequiredService<T>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
