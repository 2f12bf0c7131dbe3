namespace Sift.Mail.Transports;

/// <summary>
/// The mail service refused for now (Graph or Gmail throttling, 503): the workflow fails this attempt and retries it, no
/// sooner than <see cref="RetryAfter"/> when the service said when. Thrown instead of waiting inline, so a throttled
/// send does not hold a worker slot.
/// </summary>
public sealed class TransportRetryException(string message, TimeSpan? retryAfter, Exception? inner = null) : Exception(message, inner)
{
    public TimeSpan? RetryAfter { get; } = retryAfter;
}
