using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sift.Hosting;

namespace Sift.Knowledge;

public static class KnowledgeExtensions
{
    /// <summary>The knowledge base, loaded from <c>Sift:Knowledge:Folder</c> when the host starts (empty: none).</summary>
    public static IHostApplicationBuilder AddSiftKnowledge(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<KnowledgeOptions>().BindConfiguration(KnowledgeOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(sp => sp.GetRequiredService<IOptions<KnowledgeOptions>>().Value is { Enabled: true } options
            ? KnowledgeBase.Load(options.ResolvedFolder)
            : KnowledgeBase.Empty);
        builder.Services.AddSingleton<KnowledgeSearch>();
        builder.Services.LoadAtStart<KnowledgeBase>();
        return builder;
    }
}
