using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sift.Ingestion.Graph;

/// <summary>A POST from Graph to a notification or lifecycle URL: <c>{ "value": [ ... ] }</c>.</summary>
internal sealed record GraphNotificationBatch(ImmutableArray<GraphNotification>? Value);

/// <summary>One change or lifecycle notification; only the fields Sift checks or uses.</summary>
internal sealed record GraphNotification(
    string? SubscriptionId,
    string? ClientState,
    string? TenantId,
    string? ChangeType,
    string? Resource,
    GraphResourceData? ResourceData,
    string? LifecycleEvent,
    string? SubscriptionExpirationDateTime);

internal sealed record GraphResourceData(string? Id);

/// <summary>Graph ingest job kinds and their payloads (small, versioned, ids only).</summary>
internal static class GraphJobs
{
    public const string Source = "graph";

    /// <summary>Fetch one message and ingest it.</summary>
    public const string Message = "message";

    /// <summary>Run the delta query of a mailbox.</summary>
    public const string CatchUp = "catch_up";

    /// <summary>Act on a lifecycle notification (reauthorize, recreate).</summary>
    public const string Lifecycle = "lifecycle";

    /// <summary>A notification refused on sight (recorded as rejected, never run).</summary>
    public const string Notification = "notification";

    public static string MessageKey(string mailbox, string messageId) => $"message:{mailbox.ToLowerInvariant()}:{messageId}";
}

internal sealed record GraphMessageJob(int V, string MessageId, string? SubscriptionId);

internal sealed record GraphCatchUpJob(int V, string Reason);

internal sealed record GraphLifecycleJob(int V, string SubscriptionId, string LifecycleEvent);

/// <summary>What a refused notification is recorded with: ids and the reason, never the clientState.</summary>
internal sealed record GraphRejectedNotification(string? SubscriptionId, string? TenantId, string? ChangeType, string? ResourceId, string? LifecycleEvent);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(GraphNotificationBatch))]
[JsonSerializable(typeof(GraphMessageJob))]
[JsonSerializable(typeof(GraphCatchUpJob))]
[JsonSerializable(typeof(GraphLifecycleJob))]
[JsonSerializable(typeof(GraphRejectedNotification))]
internal sealed partial class GraphJsonContext : JsonSerializerContext;
