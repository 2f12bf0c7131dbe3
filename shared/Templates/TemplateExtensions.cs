using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sift.Drafting;
using Sift.Hosting;

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
        builder.Services.LoadAtStart<TemplateLibrary>();
        return builder;
    }
}
