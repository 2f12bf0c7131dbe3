using System.Net.Http.Headers;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Sift.Api;
using Sift.Engine;

namespace Sift.Tests.Integration.Infrastructure;

/// <summary>
/// The real Sift host (Program, every service, real database) in memory. Workers run when the roles include
/// <c>worker</c>; tests that step the workflow themselves use the <c>api</c> role and <see cref="RunWorkflowsAsync"/>.
/// </summary>
public sealed class SiftTestHost(TestDatabase database, IReadOnlyDictionary<string, string?>? settings = null, Action<IServiceCollection>? services = null)
    : WebApplicationFactory<Program>
{
    public const string Mailbox = "support@contoso.example";

    public TestDatabase Database => database;

    protected override void ConfigureWebHost(IWebHostBuilder builder)
    {
        var all = new Dictionary<string, string?>();
        foreach (var (key, value) in database.Settings())
        {
            all[key] = value;
        }

        all["Sift:Roles"] = "api";
        all["Sift:Workflow:PollInterval"] = "00:00:00.050";
        all["Logging:LogLevel:Default"] = "Warning";
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            all[key] = value;
        }

        builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(all));
        if (services is not null)
        {
            builder.ConfigureTestServices(services);
        }
    }

    /// <summary>Runs every due workflow instance to its next stop (completion, wait or failure).</summary>
    public Task<int> RunWorkflowsAsync() => Services.GetRequiredService<WorkflowRunner>().RunDueAsync(CancellationToken.None);

    /// <summary>Runs every due ingest job (webhook notifications, catch-ups) until none is left.</summary>
    public Task<int> RunIngestJobsAsync() => Services.GetRequiredService<Sift.Ingestion.IngestRunner>().DrainAsync(CancellationToken.None);

    public async Task<HttpResponseMessage> PostRawAsync(byte[] raw, string mailbox = Mailbox)
    {
        using var content = new ByteArrayContent(raw);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        return await CreateClient().PostAsync(new Uri($"/api/messages?mailbox={Uri.EscapeDataString(mailbox)}", UriKind.Relative), content);
    }

    public async Task<Guid> IngestAsync(byte[] raw, string mailbox = Mailbox)
    {
        using var response = await PostRawAsync(raw, mailbox);
        Assert.Equal(System.Net.HttpStatusCode.Accepted, response.StatusCode);
        return (await response.Content.ReadFromJsonAsync<IngestResponse>())!.Id;
    }

    public async Task<MessageDetail> GetAsync(Guid id) =>
        (await CreateClient().GetFromJsonAsync<MessageDetail>(new Uri($"/api/messages/{id}", UriKind.Relative)))!;

    public async Task<HttpResponseMessage> DecideAsync(Guid id, string action, string? text = null, string by = "reviewer@contoso.example") =>
        await CreateClient().PostAsJsonAsync(new Uri($"/api/messages/{id}/decision", UriKind.Relative), new DecisionRequest(action, text, by));

    /// <summary>Polls the API until the message satisfies the condition (workers run in the background).</summary>
    public async Task<MessageDetail> WaitForAsync(Guid id, Func<MessageDetail, bool> condition, int timeoutSeconds = 30)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (true)
        {
            var detail = await GetAsync(id);
            if (condition(detail))
            {
                return detail;
            }

            if (clock.Elapsed.TotalSeconds > timeoutSeconds)
            {
                Assert.Fail($"Message {id} did not reach the expected state in {timeoutSeconds} s; it is '{detail.Status}' ({detail.Workflow.State}, last error: {detail.Workflow.LastError}).");
            }

            await Task.Delay(25);
        }
    }
}
