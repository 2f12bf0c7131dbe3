using System.Globalization;

namespace Sift.Cli;

/// <summary>
/// Progress of a long run on stderr: a bar redrawn in place on a terminal, or a plain line every few seconds when stderr
/// goes to a file or a CI log, where carriage returns would pile up into one unreadable line.
/// </summary>
internal sealed class ProgressBar(TextWriter writer, int total, bool inPlace, TimeProvider time) : IProgress<int>
{
    private const int Width = 30;
    private static readonly TimeSpan RedrawEvery = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LineEvery = TimeSpan.FromSeconds(5);

    private readonly long _started = time.GetTimestamp();
    private readonly Lock _gate = new();
    private TimeSpan _lastShown;
    private bool _drawn;

    /// <summary>Whether this writer is the process's stderr on a terminal.</summary>
    public static bool IsTerminal(TextWriter writer) => ReferenceEquals(writer, Console.Error) && !Console.IsErrorRedirected;

    /// <param name="value">Items done so far.</param>
    public void Report(int value)
    {
        // Predictors that call a service in parallel report from several threads.
        lock (_gate)
        {
            var elapsed = time.GetElapsedTime(_started);
            var done = Math.Clamp(value, 0, total);
            var rate = elapsed > TimeSpan.Zero ? (done / elapsed.TotalSeconds).ToString("0", CultureInfo.InvariantCulture) + "/s" : "";
            var percent = total == 0 ? 100 : done * 100 / total;
            if (inPlace)
            {
                if (_drawn && done < total && elapsed - _lastShown < RedrawEvery)
                {
                    return;
                }

                var filled = total == 0 ? Width : done * Width / total;
                writer.Write(string.Create(CultureInfo.InvariantCulture, $"\r[{new string('#', filled)}{new string('.', Width - filled)}] {done}/{total} {percent,3}% {rate}   "));
                _drawn = true;
            }
            else
            {
                if (elapsed - _lastShown < LineEvery)
                {
                    return;
                }

                writer.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{done}/{total} ({percent}%) {rate}"));
            }

            _lastShown = elapsed;
        }
    }

    /// <summary>Ends the in-place line so that what follows starts on a fresh one.</summary>
    public void Finish()
    {
        lock (_gate)
        {
            if (_drawn)
            {
                writer.WriteLine();
                _drawn = false;
            }
        }
    }
}
