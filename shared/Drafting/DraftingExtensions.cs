using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sift.Knowledge;

namespace Sift.Drafting;

public static class DraftingExtensions
{
    /// <summary>
    /// The knowledge base and the model-written drafts (grounded review drafts, the optional paraphrase). Needs the
    /// templates (<c>AddSiftTemplates</c>) and the hosted model's client (<c>AddSiftLlm</c>); with no hosted model
    /// configured every draft is the template's.
    /// </summary>
    public static IHostApplicationBuilder AddSiftDrafting(this IHostApplicationBuilder builder)
    {
        builder.AddSiftKnowledge();
        builder.Services.AddOptions<DraftingOptions>().BindConfiguration(DraftingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<DraftWriter>();
        return builder;
    }
}
