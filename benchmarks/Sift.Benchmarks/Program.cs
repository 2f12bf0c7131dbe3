namespace Sift.Benchmarks;

internal static class BenchmarkProgram
{
    // Usage: dotnet run -c Release --project benchmarks/Sift.Benchmarks -- pipeline --engine sqlite|postgres [--postgres CS]
    //        [--messages N] [--concurrency C] [--clients K]
    public static async Task<int> Main(string[] args)
    {
        if (args.Length == 0 || args[0] != "pipeline")
        {
            await Console.Error.WriteLineAsync("usage: Sift.Benchmarks pipeline --engine sqlite|postgres [--postgres CONNECTION] [--messages 3000] [--concurrency 8] [--clients 4]");
            return 2;
        }

        return await PipelineBenchmark.RunAsync(PipelineOptions.Parse(args[1..]));
    }
}
