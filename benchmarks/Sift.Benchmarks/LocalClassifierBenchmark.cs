using System.Diagnostics;
using System.Globalization;
using Sift.Classification;
using Sift.Classification.Local;

namespace Sift.Benchmarks;

internal sealed record ClassifyOptions(string? Model, string? Data, int Messages)
{
    public static ClassifyOptions Parse(string[] args)
    {
        string? Value(string name)
        {
            var index = Array.IndexOf(args, name);
            return index >= 0 && index + 1 < args.Length ? args[index + 1] : null;
        }

        return new ClassifyOptions(Value("--model"), Value("--data"), int.Parse(Value("--messages") ?? "20000", CultureInfo.InvariantCulture));
    }
}

/// <summary>
/// The local intent classifier on its own: model load time, batch throughput through <see cref="LocalIntentModel.PredictBatch"/>
/// (spread over every core), single-message latency percentiles after warm-up, and bytes allocated per message.
/// </summary>
internal static class LocalClassifierBenchmark
{
    private const int LatencySamples = 20_000;

    public static async Task<int> RunAsync(ClassifyOptions options)
    {
        var model = options.Model ?? Path.Combine(AppContext.BaseDirectory, "samples", "models", "intents.siftmodel");
        var data = options.Data ?? DefaultData();
        if (!File.Exists(model) || data is null || !File.Exists(data))
        {
            await Console.Error.WriteLineAsync($"No model at '{model}' or no data at '{data}': pass --model FILE and --data FILE.jsonl.");
            return 2;
        }

        var texts = LabelledJsonl.Read(data).Select(e => e.Text).ToArray();
        var messages = Enumerable.Range(0, options.Messages).Select(i => texts[i % texts.Length]).ToArray();
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"Local classifier: {Environment.ProcessorCount} cores, model {model} ({new FileInfo(model).Length / 1024} KB), {texts.Length} distinct texts (mean {texts.Average(t => t.Length):0} chars) from {data}"));

        // The first load pays for JIT and ML.NET's type registration; a service loads once, so both are shown.
        var started = Stopwatch.GetTimestamp();
        using (LocalIntentModel.Load(model))
        {
        }

        var coldLoad = Stopwatch.GetElapsedTime(started);
        started = Stopwatch.GetTimestamp();
        using var classifier = LocalIntentModel.Load(model);
        var warmLoad = Stopwatch.GetElapsedTime(started);
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"load: first {coldLoad.TotalMilliseconds:0} ms, again {warmLoad.TotalMilliseconds:0} ms ({classifier.Version}, {classifier.Labels.Length} labels)"));

        classifier.PredictBatch(messages);
        var rates = new List<double>();
        long batchBytes = 0;
        for (var run = 0; run < 5; run++)
        {
            var allocated = GC.GetTotalAllocatedBytes(precise: true);
            started = Stopwatch.GetTimestamp();
            classifier.PredictBatch(messages);
            rates.Add(messages.Length / Stopwatch.GetElapsedTime(started).TotalSeconds);
            batchBytes = GC.GetTotalAllocatedBytes(precise: true) - allocated;
        }

        rates.Sort();
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"batch: {rates[2]:0} msg/s median of 5 runs of {messages.Length} (min {rates[0]:0}, max {rates[^1]:0}), {batchBytes / messages.Length} bytes allocated per message"));

        for (var i = 0; i < 2_000; i++)
        {
            classifier.Predict(messages[i % messages.Length]);
        }

        var latencies = new double[LatencySamples];
        var singleBytes = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < latencies.Length; i++)
        {
            var text = messages[i % messages.Length];
            started = Stopwatch.GetTimestamp();
            classifier.Predict(text);
            latencies[i] = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
        }

        singleBytes = GC.GetAllocatedBytesForCurrentThread() - singleBytes;
        Array.Sort(latencies);
        await Console.Out.WriteLineAsync(string.Create(CultureInfo.InvariantCulture,
            $"single: p50 {Percentile(latencies, 0.50):0.000} ms, p95 {Percentile(latencies, 0.95):0.000} ms, p99 {Percentile(latencies, 0.99):0.000} ms, max {latencies[^1]:0.000} ms over {LatencySamples} calls; {singleBytes / LatencySamples} bytes allocated per message"));
        return 0;
    }

    private static double Percentile(double[] sorted, double p) => sorted[Math.Min(sorted.Length - 1, (int)Math.Ceiling(p * sorted.Length) - 1)];

    /// <summary>BANKING77 beside the repository when present (short real queries), else Sift's own training mail.</summary>
    private static string? DefaultData()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Sift.sln")))
            {
                var banking = Path.GetFullPath(Path.Combine(dir.FullName, "..", "shared", "data", "intent-banking77", "banking77.jsonl"));
                return File.Exists(banking) ? banking : Path.Combine(dir.FullName, "samples", "training", "intents.jsonl");
            }
        }

        return null;
    }
}
