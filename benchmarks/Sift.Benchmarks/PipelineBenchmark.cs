using System.Collections.Concurrent;
using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.Globalization;
using System.Net.Http.Headers;
using System.Runtime;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.Extensions.Configuration;
using MimeKit;
using Sift.Telemetry;

namespace Sift.Benchmarks;

internal sealed record PipelineOptions(string Engine, string? Postgres, int Messages, int Concurrency, int Clients, bool Sequential, int MaxWarmUpRounds)
{
    public static PipelineOptions Parse(string[] args)
    {
        string Value(string name, string fallback)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : fallback;
        }

        return new PipelineOptions(
            Value("--engine", "sqlite"),
            Value("--postgres", string.Empty) is { Length: > 0 } cs ? cs : null,
            int.Parse(Value("--messages", "3000"), CultureInfo.InvariantCulture),
            int.Parse(Value("--concurrency", "8"), CultureInfo.InvariantCulture),
            int.Parse(Value("--clients", "4"), CultureInfo.InvariantCulture),
            args.Contains("--sequential"),
            int.Parse(Value("--max-warmup-rounds", "40"), CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// Messages per second through the whole pipeline (HTTP ingest, queue, prefilter, classify, route, draft, send to the
/// dry-run outbox or wait for review) and Sift's own time per message: its ingest request, its workflow episodes and
/// its share of the claims. The classifier is local and the transport is the outbox, so no model or external API is
/// waited on: everything measured is Sift's own time.
/// </summary>
internal static class PipelineBenchmark
{
    public static async Task<int> RunAsync(PipelineOptions options)
    {
        if (options.Engine == "postgres" && options.Postgres is null)
        {
            await Console.Error.WriteLineAsync("--engine postgres needs --postgres CONNECTION_STRING");
            return 2;
        }

        var dataDirectory = Directory.CreateTempSubdirectory("sift-bench-").FullName;
        // The host's content root (appsettings.json, samples) is the benchmark's own output folder.
        Environment.SetEnvironmentVariable("ASPNETCORE_TEST_CONTENTROOT_SIFT", AppContext.BaseDirectory);
        var samples = LoadSamples();
        await using var factory = new BenchHost(dataDirectory, options);
        using var client = factory.CreateClient();
        using var probe = new Probe();

        var warmUp = await WarmUpAsync(client, probe, samples, options);

        probe.Reset();
        var messages = Generate(samples, "run", options.Messages);
        var cpuBefore = Process.GetCurrentProcess().TotalProcessorTime;
        var gc = GcSnapshot.Take();
        var clock = Stopwatch.StartNew();
        var ingest = options.Sequential
            ? await RunOneByOneAsync(client, probe, messages)
            : await RunBatchAsync(client, probe, messages, options.Clients);
        var seconds = clock.Elapsed.TotalSeconds;
        var cpuMs = (Process.GetCurrentProcess().TotalProcessorTime - cpuBefore).TotalMilliseconds / options.Messages;
        var gcUsed = GcSnapshot.Take() - gc;

        var withTransport = ingest.Select(kv => kv.Value + probe.EpisodeMs(kv.Key) + probe.ClaimShareMs).Order().ToArray();
        var own = ingest.Select(kv => kv.Value + probe.EpisodeMs(kv.Key) - probe.TransportMs(kv.Key) + probe.ClaimShareMs).Order().ToArray();
        var episodes = ingest.Keys.Select(probe.EpisodeMs).Order().ToArray();
        var ingests = ingest.Values.Order().ToArray();
        var result = string.Create(CultureInfo.InvariantCulture, $$"""
            {"engine":"{{options.Engine}}","mode":"{{(options.Sequential ? "sequential" : "load")}}","messages":{{options.Messages}},"concurrency":{{options.Concurrency}},"clients":{{options.Clients}},"seconds":{{seconds:0.###}},"messagesPerSecond":{{options.Messages / seconds:0.#}},"ownMsP50":{{Percentile(own, 0.50):0.###}},"ownMsP95":{{Percentile(own, 0.95):0.###}},"withTransportMsP50":{{Percentile(withTransport, 0.50):0.###}},"withTransportMsP95":{{Percentile(withTransport, 0.95):0.###}},"episodeMsP50":{{Percentile(episodes, 0.50):0.###}},"episodeMsP95":{{Percentile(episodes, 0.95):0.###}},"ingestMsP50":{{Percentile(ingests, 0.50):0.###}},"ingestMsP95":{{Percentile(ingests, 0.95):0.###}},"commitsPerMessage":{{probe.Commits / (double)options.Messages:0.##}},"cpuMsPerMessage":{{cpuMs:0.###}},"allocatedKbPerMessage":{{gcUsed.AllocatedBytes / 1024.0 / options.Messages:0.#}},"gcPauseMsPerMessage":{{gcUsed.PauseMs / options.Messages:0.###}},"gcCollections":[{{gcUsed.Gen0}},{{gcUsed.Gen1}},{{gcUsed.Gen2}}],"warmUpMessages":{{warmUp.Messages}},"warmUpSeconds":{{warmUp.Seconds:0.#}},"steadyState":{{(warmUp.Steady ? "true" : "false")}}}
            """);
        Console.WriteLine($"{options.Engine} ({(options.Sequential ? "one at a time" : $"{options.Clients} clients")}): {options.Messages} messages in {seconds:0.00} s = {options.Messages / seconds:0} msg/s; Sift's own time per message p50 {Percentile(own, 0.5):0.00} ms, p95 {Percentile(own, 0.95):0.00} ms (with the outbox transport {Percentile(withTransport, 0.5):0.00} / {Percentile(withTransport, 0.95):0.00} ms); {probe.Commits / (double)options.Messages:0.0} commits and {cpuMs:0.00} ms of CPU (this process) per message");
        Console.WriteLine("RESULT " + result);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"GC: {gcUsed.AllocatedBytes / 1024.0 / options.Messages:0.#} KB allocated and {gcUsed.PauseMs / options.Messages:0.###} ms paused per message; collections gen0 {gcUsed.Gen0}, gen1 {gcUsed.Gen1}, gen2 {gcUsed.Gen2}"));
        Console.WriteLine("Spans (p50 / p95 ms, count): " + string.Join("; ", probe.SpanSummary()));
        try
        {
            Directory.Delete(dataDirectory, recursive: true);
        }
        catch (IOException)
        {
        }

        return 0;
    }

    private const int WarmUpRoundMessages = 1000;

    // Tiered compilation keeps promoting hot methods in the background for a while (on 2 busy cores, for 5,000 to
    // 20,000 messages): until it is done, the figures measure the JIT. Fewer than this many methods compiled in a round
    // of 1,000 messages, twice in a row, counts as done.
    private const int QuietJitMethods = 50;

    /// <summary>
    /// Warms the host up to its steady state: rounds of 1,000 messages under load, until the JIT is quiet (see
    /// <see cref="QuietJitMethods"/>) or <see cref="PipelineOptions.MaxWarmUpRounds"/> rounds ran. Each round is
    /// printed, so the way to the steady state is part of the output.
    /// </summary>
    internal static async Task<WarmUp> WarmUpAsync(HttpClient client, Probe probe, List<MimeMessage> samples, PipelineOptions options)
    {
        var clock = Stopwatch.StartNew();

        // Connection pools, SQLite's page cache and the first JIT pass.
        await RunBatchAsync(client, probe, Generate(samples, "warmup", 200), options.Clients);
        var messages = 200;
        var quietRounds = 0;
        var rounds = 0;
        while (rounds < options.MaxWarmUpRounds && quietRounds < 2)
        {
            var methods = JitInfo.GetCompiledMethodCount();
            var jit = JitInfo.GetCompilationTime();
            var round = Stopwatch.StartNew();
            await RunBatchAsync(client, probe, Generate(samples, $"warmup{rounds}-", WarmUpRoundMessages), options.Clients);
            messages += WarmUpRoundMessages;
            var compiled = JitInfo.GetCompiledMethodCount() - methods;
            quietRounds = compiled < QuietJitMethods ? quietRounds + 1 : 0;
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"warm-up round {++rounds}: {WarmUpRoundMessages / round.Elapsed.TotalSeconds:0} msg/s; the JIT compiled {compiled} methods in {(JitInfo.GetCompilationTime() - jit).TotalMilliseconds:0} ms"));
        }

        var steady = quietRounds >= 2;
        if (!steady)
        {
            Console.WriteLine(rounds == 0
                ? "warm-up: 200 messages only (--max-warmup-rounds 0); the figures below include the JIT's work"
                : $"warm-up: the JIT was still busy after {rounds} rounds; the figures below include its work");
        }

        return new WarmUp(messages, clock.Elapsed.TotalSeconds, steady);
    }

    /// <summary>Latency without queueing: each message is posted after the previous one settled.</summary>
    private static async Task<ConcurrentDictionary<Guid, double>> RunOneByOneAsync(HttpClient client, Probe probe, List<byte[]> messages)
    {
        var ingest = new ConcurrentDictionary<Guid, double>();
        foreach (var message in messages)
        {
            var (id, elapsed) = await PostAsync(client, message);
            ingest[id] = elapsed;
            await probe.WaitForSettledAsync([id], TimeSpan.FromMinutes(1));
        }

        return ingest;
    }

    internal static async Task<(Guid Id, double Milliseconds)> PostAsync(HttpClient client, byte[] message)
    {
        using var content = new ByteArrayContent(message);
        content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
        var started = Stopwatch.GetTimestamp();
        using var response = await client.PostAsync(new Uri("/api/messages?mailbox=support%40contoso.example", UriKind.Relative), content);
        var elapsed = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        response.EnsureSuccessStatusCode();
        var body = await response.Content.ReadAsStringAsync();
        return (Guid.Parse(body.AsSpan(7, 36)), elapsed);
    }

    private static async Task<ConcurrentDictionary<Guid, double>> RunBatchAsync(HttpClient client, Probe probe, List<byte[]> messages, int clients)
    {
        var ingest = new ConcurrentDictionary<Guid, double>();
        var next = -1;
        await Task.WhenAll(Enumerable.Range(0, clients).Select(async _ =>
        {
            int index;
            while ((index = Interlocked.Increment(ref next)) < messages.Count)
            {
                var (id, elapsed) = await PostAsync(client, messages[index]);
                ingest[id] = elapsed;
            }
        }));

        await probe.WaitForSettledAsync(ingest.Keys, TimeSpan.FromMinutes(10));
        return ingest;
    }

    internal static List<MimeMessage> LoadSamples()
    {
        var folder = Path.Combine(AppContext.BaseDirectory, "samples", "demo-mailbox");
        return [.. Directory.GetFiles(folder, "*.eml").Order(StringComparer.Ordinal).Select(f => MimeMessage.Load(f))];
    }

    /// <summary>The sample mailbox over and over, each copy with its own Message-ID and sender.</summary>
    internal static List<byte[]> Generate(List<MimeMessage> samples, string prefix, int count)
    {
        var result = new List<byte[]>(count);
        for (var i = 0; i < count; i++)
        {
            var message = samples[i % samples.Count];
            message.MessageId = $"{prefix}-{i}-{Guid.NewGuid():N}@bench.example";
            var from = message.From.Mailboxes.First();
            var domain = from.Address.Split('@')[1];
            message.From.Clear();
            message.From.Add(new MailboxAddress(from.Name, i % samples.Count == 5 ? from.Address : $"{prefix}{i}@{domain}"));
            using var stream = new MemoryStream();
            message.WriteTo(stream);
            result.Add(stream.ToArray());
        }

        return result;
    }

    internal static double Percentile(double[] sorted, double p) =>
        sorted.Length == 0 ? double.NaN : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    internal sealed class BenchHost(string dataDirectory, PipelineOptions options) : WebApplicationFactory<Program>
    {
        protected override void ConfigureWebHost(IWebHostBuilder builder) =>
            builder.ConfigureAppConfiguration(config => config.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Sift:DataDirectory"] = dataDirectory,
                ["ConnectionStrings:Postgres"] = options.Engine == "postgres" ? options.Postgres : string.Empty,
                ["Sift:Roles"] = "api,worker",
                ["Sift:Workflow:Concurrency"] = options.Concurrency.ToString(CultureInfo.InvariantCulture),
                ["Sift:Workflow:PollInterval"] = "00:00:00.100",
                ["Logging:LogLevel:Default"] = "Warning",
            }));
    }

    /// <summary>Listens to Sift's own spans and commit counter.</summary>
    internal sealed class Probe : IDisposable
    {
        private readonly ActivityListener _activities;
        private readonly MeterListener _meters = new();
        private readonly ConcurrentDictionary<Guid, double> _episodeMs = new();
        private readonly ConcurrentDictionary<Guid, double> _transportMs = new();
        private readonly ConcurrentDictionary<Guid, long> _sentAt = new();
        private readonly ConcurrentDictionary<Guid, byte> _settled = new();
        private readonly ConcurrentDictionary<string, ConcurrentBag<double>> _spans = new(StringComparer.Ordinal);
        private double _claimMs;
        private long _claimed;
        private long _commits;

        public Probe()
        {
            _activities = new ActivityListener
            {
                ShouldListenTo = source => source.Name == SiftTelemetry.Name,
                Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllData,
                ActivityStopped = Stopped,
            };
            ActivitySource.AddActivityListener(_activities);
            _meters.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument == SiftTelemetry.StorageCommits)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _meters.SetMeasurementEventCallback<long>((_, value, _, _) => Interlocked.Add(ref _commits, value));
            _meters.Start();
        }

        public long Commits => Interlocked.Read(ref _commits);

        public double ClaimShareMs => _claimed == 0 ? 0 : _claimMs / _claimed;

        public double EpisodeMs(Guid id) => _episodeMs.GetValueOrDefault(id);

        /// <summary>Time the message's episodes spent in the mail transport (the dry-run outbox here; an external API in production).</summary>
        public double TransportMs(Guid id) => _transportMs.GetValueOrDefault(id);

        /// <summary>When (a <see cref="Stopwatch"/> timestamp) the message's last transport call ended: the reply left Sift.</summary>
        public long? SentAt(Guid id) => _sentAt.TryGetValue(id, out var at) ? at : null;

        public void Reset()
        {
            _episodeMs.Clear();
            _transportMs.Clear();
            _sentAt.Clear();
            _spans.Clear();
            _settled.Clear();
            _claimMs = 0;
            _claimed = 0;
            Interlocked.Exchange(ref _commits, 0);
        }

        public async Task WaitForSettledAsync(ICollection<Guid> ids, TimeSpan timeout)
        {
            var clock = Stopwatch.StartNew();
            while (ids.Any(id => !_settled.ContainsKey(id)))
            {
                if (clock.Elapsed > timeout)
                {
                    throw new TimeoutException($"{ids.Count(id => !_settled.ContainsKey(id))} messages did not settle.");
                }

                await Task.Delay(5);
            }
        }

        public void Dispose()
        {
            _activities.Dispose();
            _meters.Dispose();
        }

        /// <summary>Each kind of span (ingest, claim, episode, each step) with its median and 95th percentile: where the time goes.</summary>
        public IEnumerable<string> SpanSummary() => _spans
            .OrderBy(s => s.Key, StringComparer.Ordinal)
            .Select(s => (s.Key, Values: s.Value.Order().ToArray()))
            .Select(s => string.Create(CultureInfo.InvariantCulture, $"{s.Key} {Percentile(s.Values, 0.5):0.000} / {Percentile(s.Values, 0.95):0.000} ({s.Values.Length})"));

        private void Stopped(Activity activity)
        {
            _spans.GetOrAdd(activity.OperationName, _ => []).Add(activity.Duration.TotalMilliseconds);
            if (activity.OperationName == "transport")
            {
                for (var parent = activity.Parent; parent is not null; parent = parent.Parent)
                {
                    if (parent.GetTagItem(SiftTelemetry.MessageIdTag) is Guid owner)
                    {
                        _transportMs.AddOrUpdate(owner, activity.Duration.TotalMilliseconds, (_, sum) => sum + activity.Duration.TotalMilliseconds);
                        if (activity.GetTagItem("sift.transport.call") is "send")
                        {
                            _sentAt[owner] = Stopwatch.GetTimestamp();
                        }

                        break;
                    }
                }
            }
            else if (activity.OperationName == "claim")
            {
                lock (_episodeMs)
                {
                    _claimMs += activity.Duration.TotalMilliseconds;
                    _claimed += activity.GetTagItem("sift.claimed") is int n ? n : 0;
                }
            }
            else if (activity.OperationName == "workflow triage" && activity.GetTagItem(SiftTelemetry.MessageIdTag) is Guid id)
            {
                _episodeMs.AddOrUpdate(id, activity.Duration.TotalMilliseconds, (_, sum) => sum + activity.Duration.TotalMilliseconds);
                if (activity.GetTagItem("sift.outcome") is "completed" or "waiting")
                {
                    _settled[id] = 1;
                }
            }
        }
    }
}

/// <summary>How the host was warmed up: messages, seconds, and whether the JIT had gone quiet.</summary>
internal sealed record WarmUp(int Messages, double Seconds, bool Steady);

/// <summary>The garbage collector's counters at one moment; the difference of two is what a run cost.</summary>
internal readonly record struct GcSnapshot(long AllocatedBytes, double PauseMs, int Gen0, int Gen1, int Gen2)
{
    public static GcSnapshot Take() =>
        new(GC.GetTotalAllocatedBytes(precise: true), GC.GetTotalPauseDuration().TotalMilliseconds, GC.CollectionCount(0), GC.CollectionCount(1), GC.CollectionCount(2));

    public static GcSnapshot operator -(GcSnapshot after, GcSnapshot before) =>
        new(after.AllocatedBytes - before.AllocatedBytes, after.PauseMs - before.PauseMs, after.Gen0 - before.Gen0, after.Gen1 - before.Gen1, after.Gen2 - before.Gen2);
}
