using System.Collections.Concurrent;
using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Sift.Storage;
using Sift.Telemetry;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Workflows;

/// <summary>Several workers on one database share the work and never run one instance at the same time.</summary>
public sealed class ConcurrencyTests
{
    [Theory]
    [InlineData(TestDatabase.Postgres, 120)]
    [InlineData(TestDatabase.Sqlite, 60)]
    public async Task Two_workers_share_the_queue_and_never_process_one_message_concurrently(string engine, int count)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var episodes = new ConcurrentBag<(Guid Message, string Worker, DateTime Start, DateTime End)>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == SiftTelemetry.Name,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = activity =>
            {
                if (activity.OperationName == "workflow triage" && activity.GetTagItem(SiftTelemetry.MessageIdTag) is Guid id)
                {
                    episodes.Add((id, activity.GetTagItem("sift.worker") as string ?? "?", activity.StartTimeUtc, activity.StartTimeUtc + activity.Duration));
                }
            },
        };
        ActivitySource.AddActivityListener(listener);

        var workers = new Dictionary<string, string?> { ["Sift:Roles"] = "api,worker", ["Sift:Workflow:Concurrency"] = "4" };
        await using var first = new SiftTestHost(database, workers);
        await using var second = new SiftTestHost(database, workers);
        _ = first.CreateClient();
        _ = second.CreateClient();

        var ids = new List<Guid>();
        for (var i = 0; i < count; i++)
        {
            var host = i % 2 == 0 ? first : second;
            ids.Add(await host.IngestAsync(TestMail.Raw($"load-{i}@initech.example", from: $"Sender {i} <sender{i}@initech.example>")));
        }

        foreach (var id in ids)
        {
            await first.WaitForAsync(id, d => d.Workflow.State == "completed", timeoutSeconds: 120);
        }

        var mine = episodes.Where(e => ids.Contains(e.Message)).ToList();
        foreach (var group in mine.GroupBy(e => e.Message))
        {
            var ordered = group.OrderBy(e => e.Start).ToList();
            for (var i = 1; i < ordered.Count; i++)
            {
                Assert.True(ordered[i].Start >= ordered[i - 1].End, $"message {group.Key} was processed by two workers at once");
            }
        }

        Assert.Equal(2, mine.Select(e => e.Worker).Distinct().Count());
        Assert.Equal(count, Directory.GetFiles(database.OutboxFolder, "*.eml").Length);
        foreach (var id in ids.Take(10))
        {
            var detail = await first.GetAsync(id);
            Assert.Equal(MessageStatus.AutoSent, detail.Status);
            Assert.Single(detail.Audit, a => a.Step == "send");
            Assert.Single(detail.Audit, a => a.Step == "classify-local");
        }
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_busy_worker_mixes_dispatched_and_claimed_work_without_stalling(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var api = new SiftTestHost(database);
        var ids = new List<Guid>();
        for (var i = 0; i < 20; i++)
        {
            ids.Add(await api.IngestAsync(TestMail.Raw($"queued-{i}@initech.example", from: $"Q {i} <q{i}@initech.example>")));
        }

        // One slot: the intake's dispatches and the queued backlog compete for it.
        await using var worker = new SiftTestHost(database, new Dictionary<string, string?> { ["Sift:Roles"] = "api,worker", ["Sift:Workflow:Concurrency"] = "1" });
        var posts = Enumerable.Range(0, 20).Select(i => worker.IngestAsync(TestMail.Raw($"direct-{i}@initech.example", from: $"D {i} <d{i}@initech.example>")));
        ids.AddRange(await Task.WhenAll(posts));

        foreach (var id in ids)
        {
            await worker.WaitForAsync(id, d => d.Workflow.State == "completed", timeoutSeconds: 60);
        }

        Assert.Equal(40, Directory.GetFiles(database.OutboxFolder, "*.eml").Length);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_send_slower_than_the_lease_keeps_its_lease_and_leaves_once(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        var transport = new SlowTransport(TimeSpan.FromMilliseconds(1500));
        var settings = new Dictionary<string, string?> { ["Sift:Roles"] = "api,worker", ["Sift:Workflow:LeaseDuration"] = "00:00:00.300" };
        await using var first = new SiftTestHost(database, settings, s => s.AddSingleton<Sift.Mail.IMailTransport>(transport));
        await using var second = new SiftTestHost(database, settings, s => s.AddSingleton<Sift.Mail.IMailTransport>(transport));
        _ = second.CreateClient();

        var id = await first.IngestAsync(TestMail.Raw("slow-1@initech.example"));
        await first.WaitForAsync(id, d => d.Workflow.State == "completed", timeoutSeconds: 30);

        Assert.Equal(1, transport.Calls);
        Assert.Equal(MessageStatus.AutoSent, (await first.GetAsync(id)).Status);
    }

    /// <summary>A transport whose send takes a while, and that cannot see a send still in flight (like Graph).</summary>
    private sealed class SlowTransport(TimeSpan delay) : Sift.Mail.IMailTransport
    {
        private readonly ConcurrentDictionary<string, Sift.Mail.SendReceipt> _sent = new();
        private int _calls;

        public int Calls => _calls;

        public string Name => "slow";

        public Task<Sift.Mail.SendReceipt?> FindSentAsync(Sift.Mail.OutgoingReply reply, CancellationToken cancellationToken) =>
            Task.FromResult(_sent.GetValueOrDefault(reply.IdempotencyKey));

        public async Task<Sift.Mail.SendReceipt> SendAsync(Sift.Mail.OutgoingReply reply, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _calls);
            await Task.Delay(delay, CancellationToken.None);
            return _sent[reply.IdempotencyKey] = new Sift.Mail.SendReceipt(Name, reply.IdempotencyKey, DateTimeOffset.UnixEpoch);
        }
    }
}
