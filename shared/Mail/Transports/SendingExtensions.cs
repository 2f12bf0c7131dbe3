using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace Sift.Mail.Transports;

public static class SendingExtensions
{
    /// <summary>
    /// The reply transports (<c>Sift:Sending</c>): the dry-run outbox by default, Graph, Gmail or SMTP per mailbox. The settings
    /// of every transport in use are checked at start. Graph and Gmail reuse the ingestion clients and credentials (<c>Sift:Graph</c>, <c>Sift:Gmail</c>).
    /// </summary>
    public static IHostApplicationBuilder AddSiftSending(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<SendingOptions>().BindConfiguration(SendingOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<SendingOptions>, SendingOptionsValidator>());
        builder.Services.AddSingleton<OutboxFolderTransport>();
        builder.Services.AddKeyedSingleton<IMailTransport>(SendingOptions.OutboxName, (sp, _) => sp.GetRequiredService<OutboxFolderTransport>());
        builder.Services.AddKeyedSingleton<IMailTransport, GraphTransport>(SendingOptions.GraphName);
        builder.Services.AddKeyedSingleton<IMailTransport, SmtpTransport>(SendingOptions.SmtpName);
        builder.Services.AddKeyedSingleton<IMailTransport, GmailTransport>(SendingOptions.GmailName);
        builder.Services.AddSingleton<MailTransports>();
        builder.Services.AddSingleton<IMailTransport>(sp => sp.GetRequiredService<MailTransports>());
        return builder;
    }
}
