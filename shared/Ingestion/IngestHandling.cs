using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Sift.Telemetry;

namespace Sift.Ingestion;

/// <summary>
/// Runs the ingest jobs of one source (<see cref="IngestJobRequest.Source"/>): fetch what a notification points at,
/// normalize it and hand it to <see cref="Queue.MessageIntake"/>. Throwing retries the job with backoff;
/// <see cref="IngestPermanentException"/> ends it at once (dead, with the reason); <see cref="IngestRetryException"/> names the
/// delay the peer asked for (HTTP Retry-After).
/// </summary>
public interface IIngestHandler
{
    string Source { get; }

    Task HandleAsync(IngestJob job, CancellationToken cancellationToken);
}

/// <summary>A failure that retrying cannot fix (the message is gone, the payload is unreadable).</summary>
public sealed class IngestPermanentException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>A transient failure after which the peer asked to wait (429 or 503 with Retry-After).</summary>
public sealed class IngestRetryException(string message, TimeSpan retryAfter, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan RetryAfter { get; } = retryAfter;
}

internal static class IngestTelemetry
{
    public static readonly Counter<long> Enqueued = SiftTelemetry.Meter.CreateCounter<long>(
        "sift.ingest.enqueued", description: "Ingest jobs persisted (notifications, catch-ups)");

    public static readonly Counter<long> Rejected = SiftTelemetry.Meter.CreateCounter<long>(
        "sift.ingest.rejected", description: "Input refused on sight and recorded (forged, malformed, unparsable)");
}

/// <summary>Failures that the same input will cause again, however often it is retried.</summary>
public static class IngestErrors
{
    /// <summary>
    /// PostgreSQL's data exceptions (class 22: a value the column cannot hold) and program limits (class 54: an index
    /// key too large), and malformed values found in the message: retrying cannot help, the message must be set aside.
    /// </summary>
    public static bool IsPermanent(Exception exception) => exception switch
    {
        Npgsql.PostgresException pg => pg.SqlState.StartsWith("22", StringComparison.Ordinal) || pg.SqlState.StartsWith("54", StringComparison.Ordinal),
        FormatException or ArgumentException or System.Text.Json.JsonException => true,
        _ => exception.InnerException is { } inner && IsPermanent(inner),
    };

    /// <summary>
    /// Failures of the infrastructure rather than of the message (the database, Redis, the network, a timeout): they
    /// say nothing about the message, so they never count towards setting it aside.
    /// </summary>
    public static bool IsTransient(Exception exception) => !IsPermanent(exception) && exception switch
    {
        System.Data.Common.DbException or StackExchange.Redis.RedisException or TimeoutException or IOException
            or System.Net.Sockets.SocketException or HttpRequestException or OperationCanceledException => true,
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}

/// <summary>Which roles this process plays (<c>Sift:Roles</c>, default <c>api,worker</c>).</summary>
public static class SiftRoles
{
    public static bool IsWorker(this IConfiguration configuration) =>
        (configuration["Sift:Roles"] ?? "api,worker")
            .Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Contains("worker", StringComparer.OrdinalIgnoreCase);
}

public static class IngestionExtensions
{
    /// <summary>The ingest queue, the cursors, and the signal that wakes the ingest worker.</summary>
    public static IHostApplicationBuilder AddSiftIngestion(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<IngestSignal>();
        builder.Services.AddSingleton<IngestJobs>();
        builder.Services.AddSingleton<IngestCursors>();
        builder.Services.AddSingleton<IngestRunner>();
        builder.Services.AddSingleton<IngestLeases>();
        return builder;
    }
}
