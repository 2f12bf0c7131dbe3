using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;

namespace Sift.Benchmarks;

/// <summary>
/// The time from a reviewer's approval to the reply leaving Sift: drafts wait for review, then each is approved through
/// <c>POST /api/messages/{id}/decision</c> (the path the console, Slack and Teams decisions share) and the clock stops
/// when the transport call that sends the reply returns. Sift's own share is that time without the transport call.
/// One approval at a time, so the figure is latency, not queueing.
/// </summary>
internal static class ApprovalBenchmark
{
    public static async Task<int> RunAsync(PipelineOptions options)
    {
        if (options.Engine == "postgres" && options.Postgres is null)
        {
            await Console.Error.WriteLineAsync("--engine postgres needs --postgres CONNECTION_STRING");
            return 2;
        }

        var dataDirectory = Directory.CreateTempSubdirectory("sift-bench-").FullName;
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_SIFT", AppContext.BaseDirectory);
        await using var factory = new PipelineBenchmark.BenchHost(dataDirectory, options);
        using var client = factory.CreateClient();
        using var probe = new PipelineBenchmark.Probe();

        // The support mail of the sample mailbox goes to review under the shipped policy.
        var support = PipelineBenchmark.LoadSamples().Where(m => m.From.Mailboxes.First().Address == "dana.reyes@acme.example").ToList();
        var warmup = 20;
        var messages = PipelineBenchmark.Generate(support, "approval", warmup + options.Messages);
        var ids = new List<Guid>();
        foreach (var message in messages)
        {
            ids.Add((await PipelineBenchmark.PostAsync(client, message)).Id);
        }

        await probe.WaitForSettledAsync(ids, TimeSpan.FromMinutes(5));

        var endToEnd = new List<double>();
        var own = new List<double>();
        var request = new List<double>();
        for (var i = 0; i < ids.Count; i++)
        {
            var id = ids[i];
            var started = Stopwatch.GetTimestamp();
            using var response = await client.PostAsJsonAsync(
                new Uri($"/api/messages/{id}/decision", UriKind.Relative), new { action = "approve", by = "bench@contoso.example" });
            var requestMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            response.EnsureSuccessStatusCode();
            var clock = Stopwatch.StartNew();
            while (probe.SentAt(id) is not { } sentAt)
            {
                if (clock.Elapsed > TimeSpan.FromMinutes(1))
                {
                    throw new TimeoutException($"The approved reply of {id} did not leave within a minute.");
                }

                await Task.Delay(1);
            }

            if (i < warmup)
            {
                continue;
            }

            var total = Stopwatch.GetElapsedTime(started, probe.SentAt(id)!.Value).TotalMilliseconds;
            endToEnd.Add(total);
            own.Add(total - probe.TransportMs(id));
            request.Add(requestMs);
        }

        double P(List<double> values, double p) => PipelineBenchmark.Percentile([.. values.Order()], p);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{options.Engine}: {own.Count} approvals, approval request to reply sent p50 {P(endToEnd, 0.5):0.00} ms, p95 {P(endToEnd, 0.95):0.00} ms; Sift's own share p50 {P(own, 0.5):0.00} ms, p95 {P(own, 0.95):0.00} ms; the decision request itself p50 {P(request, 0.5):0.00} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $$"""RESULT {"engine":"{{options.Engine}}","approvals":{{own.Count}},"approvalToSentMsP50":{{P(endToEnd, 0.5):0.###}},"approvalToSentMsP95":{{P(endToEnd, 0.95):0.###}},"ownMsP50":{{P(own, 0.5):0.###}},"ownMsP95":{{P(own, 0.95):0.###}},"decisionRequestMsP50":{{P(request, 0.5):0.###}}}"""));
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }

        return 0;
    }
}
