using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sift.Drafting;

namespace Sift.Templates;

public static class TemplateExtensions
{
    /// <summary>The template library (loaded from <c>Sift:Templates:Folder</c> when the host starts) and the drafter that uses it.</summary>
    public static IHostApplicationBuilder AddSiftTemplates(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<TemplateOptions>().BindConfiguration(TemplateOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton(sp => TemplateLibrary.Load(sp.GetRequiredService<IOptions<TemplateOptions>>().Value.ResolvedFolder));
        builder.Services.AddSingleton(sp => new Drafter(
            sp.GetRequiredService<TemplateLibrary>(),
            [.. sp.GetRequiredService<IOptions<TemplateOptions>>().Value.Approved]));
        builder.Services.AddHostedService<TemplateLoader>();
        return builder;
    }

    /// <summary>Loads the templates when the host starts, so that a broken file stops the start with its name, not the first draft.</summary>
    private sealed class TemplateLoader(IServiceProvider services) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken)
        {
            _ = services.GetRequiredService<TemplateLibrary>();
            return Task.CompletedTask;
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
