namespace Sift.Benchmarks;

internal static class BenchmarkProgram
{
    // Usage: dotnet run -c Release --project benchmarks/Sift.Benchmarks -- pipeline --engine sqlite|postgres [--postgres CS]
    //        [--messages N] [--concurrency C] [--clients K] [--sequential] [--max-warmup-rounds R]
    //        dotnet run -c Release --project benchmarks/Sift.Benchmarks -- approval --engine sqlite|postgres [--postgres CS] [--messages N]
    //        dotnet run -c Release --project benchmarks/Sift.Benchmarks -- classify [--model FILE] [--data FILE.jsonl] [--messages N]
    public static async Task<int> Main(string[] args)
    {
        switch (args.FirstOrDefault())
        {
            case "pipeline":
                return await PipelineBenchmark.RunAsync(PipelineOptions.Parse(args[1..]));
            case "approval":
                return await ApprovalBenchmark.RunAsync(PipelineOptions.Parse(args[1..]) is { } o && Array.IndexOf(args, "--messages") < 0 ? o with { Messages = 200 } : PipelineOptions.Parse(args[1..]));
            case "classify":
                return await LocalClassifierBenchmark.RunAsync(ClassifyOptions.Parse(args[1..]));
            default:
                await Console.Error.WriteLineAsync("usage: Sift.Benchmarks pipeline --engine sqlite|postgres [--postgres CONNECTION] [--messages 3000] [--concurrency 8] [--clients 4] [--sequential] [--max-warmup-rounds 40]");
                await Console.Error.WriteLineAsync("       Sift.Benchmarks approval --engine sqlite|postgres [--postgres CONNECTION] [--messages 200]");
                await Console.Error.WriteLineAsync("       Sift.Benchmarks classify [--model FILE.siftmodel] [--data FILE.jsonl] [--messages 20000]");
                return 2;
        }
    }
}
