using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Sift.Ingestion.Imap;

// In the parent namespace, beside AddSiftIngestion, so that Program.cs needs no using for it.
#pragma warning disable IDE0130
namespace Sift.Ingestion;
#pragma warning restore IDE0130

public static class ImapIngestionExtensions
{
    /// <summary>
    /// IMAP ingestion (<c>Sift:Imap:Accounts</c>): in worker processes, one listener per configured account and folder,
    /// each failing and reconnecting on its own. With no account configured nothing runs.
    /// </summary>
    public static IHostApplicationBuilder AddImapIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ImapOptions>().BindConfiguration(ImapOptions.Section).ValidateOnStart();
        builder.Services.AddSingleton<IValidateOptions<ImapOptions>, ImapOptionsValidator>();
        builder.Services.AddSingleton<ImapStatusBoard>();
        builder.Services.AddHostedService<ImapIngestion>();
        builder.Services.Configure<JsonOptions>(options => options.SerializerOptions.TypeInfoResolverChain.Add(ImapJsonContext.Default));
        return builder;
    }
}
