using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Api;

/// <summary>Health, readiness, Prometheus metrics and API authentication.</summary>
public sealed class HostTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Health_readiness_and_metrics_answer(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        var client = host.CreateClient();
        await host.IngestAsync(TestMail.Raw("metrics-1@initech.example"));
        await host.RunWorkflowsAsync();

        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        using var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

        var metrics = await client.GetStringAsync(new Uri("/metrics", UriKind.Relative));
        Assert.Contains("sift_workflow_step_duration_seconds_bucket", metrics, StringComparison.Ordinal);
        Assert.Contains("sift_step=\"classify-local\"", metrics, StringComparison.Ordinal);
        Assert.Contains("sift_messages_ingested_total", metrics, StringComparison.Ordinal);
        // Instruments are process-wide and other tests' hosts run beside this one, so the exported sample may be theirs:
        // check here that the gauge is exported, and its counts below, from this host's own gauge.
        Assert.Matches(new Regex("""sift_messages\{[^}]*status="[a-z_]+"[^}]*\} \d+"""), metrics);
        var counts = host.Services.GetRequiredService<Sift.Telemetry.MessageCountGauge>().Observe()
            .ToDictionary(m => (string)m.Tags.ToArray().Single(t => t.Key == "status").Value!, m => m.Value);
        Assert.Equal(1, counts[Sift.Storage.MessageStatus.AutoSent]);
        Assert.Contains("sift_storage_commits_total", metrics, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task The_metrics_rollup_writes_one_row_per_day_and_intent(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        foreach (var file in TestMail.SampleFiles())
        {
            await host.IngestAsync(TestMail.Sample(file));
        }

        await host.RunWorkflowsAsync();
        var rollup = host.Services.GetServices<Microsoft.Extensions.Hosting.IHostedService>().OfType<Sift.Workers.MetricsRollup>().Single();
        await rollup.RollUpAsync(CancellationToken.None);
        await rollup.RollUpAsync(CancellationToken.None);

        await using var connection = await host.Services.GetRequiredService<Sift.Storage.SiftDatabase>().OpenAsync(CancellationToken.None);
        var rows = (await Dapper.SqlMapper.QueryAsync<(string Intent, long Messages, double AutoRate)>(connection,
            "SELECT intent, messages, auto_rate FROM metrics ORDER BY intent")).ToList();
        Assert.Equal(["complaint", "partner", "pricing", "sales", "scheduling", "support"], rows.Select(r => r.Intent).ToArray());
        Assert.Equal(2, rows.Single(r => r.Intent == "support").Messages);
        Assert.Equal(1.0, rows.Single(r => r.Intent == "scheduling").AutoRate);
        Assert.Equal(0.0, rows.Single(r => r.Intent == "support").AutoRate);
    }

    [Fact]
    public async Task When_the_database_goes_away_readiness_fails_and_ingestion_answers_503_so_the_sender_retries()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        await using var host = new SiftTestHost(database);
        var client = host.CreateClient();
        using (var ready = await client.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        }

        await database.DropAsync();

        using (var unready = await client.GetAsync(new Uri("/readyz", UriKind.Relative)))
        {
            Assert.Equal(HttpStatusCode.ServiceUnavailable, unready.StatusCode);
        }

        using var health = await client.GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
        using var post = await host.PostRawAsync(TestMail.Raw("outage-1@initech.example"));
        Assert.Equal(HttpStatusCode.ServiceUnavailable, post.StatusCode);
        Assert.Equal("application/problem+json", post.Content.Headers.ContentType?.MediaType);
        Assert.NotNull(post.Headers.RetryAfter);
    }

    [Fact]
    public async Task With_an_api_key_configured_requests_without_the_right_key_are_refused()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:ApiKey"] = "s3cret-key" });
        var client = host.CreateClient();

        using var missing = await client.GetAsync(new Uri("/api/messages", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, missing.StatusCode);
        Assert.Contains("X-Api-Key", await missing.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        client.DefaultRequestHeaders.Add("X-Api-Key", "wrong");
        using var wrong = await client.GetAsync(new Uri("/api/messages", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.StatusCode);

        client.DefaultRequestHeaders.Remove("X-Api-Key");
        client.DefaultRequestHeaders.Add("X-Api-Key", "s3cret-key");
        using var right = await client.GetAsync(new Uri("/api/messages", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, right.StatusCode);
    }

    [Fact]
    public async Task Without_an_api_key_the_api_refuses_callers_that_are_not_on_loopback()
    {
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = new SiftTestHost(database, services: s => s.AddSingleton<Microsoft.AspNetCore.Hosting.IStartupFilter>(new RemoteAddress("203.0.113.7")));

        using var response = await host.CreateClient().GetAsync(new Uri("/api/messages", UriKind.Relative));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("loopback", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        using var health = await host.CreateClient().GetAsync(new Uri("/healthz", UriKind.Relative));
        Assert.Equal(HttpStatusCode.OK, health.StatusCode);
    }

    /// <summary>Makes every request look as if it came from another machine.</summary>
    private sealed class RemoteAddress(string address) : IStartupFilter
    {
        public Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> Configure(Action<Microsoft.AspNetCore.Builder.IApplicationBuilder> next) => app =>
        {
            app.Use(nextMiddleware => context =>
            {
                context.Connection.RemoteIpAddress = IPAddress.Parse(address);
                return nextMiddleware(context);
            });
            next(app);
        };
    }
}
