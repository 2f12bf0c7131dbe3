using System.Diagnostics;

namespace Sift.Tests.Integration.Infrastructure;

/// <summary>
/// The real Sift executable (sift.dll) as a separate worker process on a test database, so that tests can kill it
/// for real: no finally blocks, no flushes, exactly like a crash or an OOM kill.
/// </summary>
public sealed class SiftProcess : IAsyncDisposable
{
    private readonly Process _process;

    private SiftProcess(Process process) => _process = process;

    public bool HasExited => _process.HasExited;

    public int ExitCode => _process.ExitCode;

    public static SiftProcess StartWorker(TestDatabase database, string? crashAt = null, IReadOnlyDictionary<string, string?>? settings = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "sift.dll"));
        start.ArgumentList.Add("serve");
        var environment = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["Sift:Roles"] = "worker",
            ["Sift:Workflow:LeaseDuration"] = "00:00:01",
            ["Sift:Workflow:PollInterval"] = "00:00:00.050",
            ["Sift:Workflow:CrashAt"] = crashAt ?? string.Empty,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
        {
            environment[key] = value;
        }

        foreach (var (key, value) in database.Settings().Concat(environment))
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        var process = Process.Start(start) ?? throw new InvalidOperationException("Could not start sift.dll.");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return new SiftProcess(process);
    }

    public async Task<bool> WaitForExitAsync(TimeSpan timeout)
    {
        using var cancel = new CancellationTokenSource(timeout);
        try
        {
            await _process.WaitForExitAsync(cancel.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
