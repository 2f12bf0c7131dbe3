using System.Collections.Immutable;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sift.Ingestion.Gmail;

/// <summary>The Pub/Sub push request body: <c>{"message": {...}, "subscription": "..."}</c>.</summary>
internal sealed record PubSubPush(PubSubMessage? Message, string? Subscription);

internal sealed record PubSubMessage(string? Data, string? MessageId, string? PublishTime);

/// <summary>What Gmail publishes: <c>message.data</c>, base64-decoded.</summary>
internal sealed record GmailNotification(string? EmailAddress, [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] ulong? HistoryId);

/// <summary>An ingest job's payload (version 1): the Pub/Sub message and the history id Gmail announced.</summary>
internal sealed record GmailJob(int V, string MessageId, ulong HistoryId);

/// <summary>A message Sift refused, kept with the rejection (ids only, never content).</summary>
internal sealed record GmailRejected(string? MessageId, string? GmailId, string? EmailAddress);

internal sealed record GmailHistoryList(
    ImmutableArray<GmailHistory>? History,
    string? NextPageToken,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] ulong HistoryId);

internal sealed record GmailHistory(string? Id, ImmutableArray<GmailMessageAdded>? MessagesAdded);

internal sealed record GmailMessageAdded(GmailMessageRef? Message);

internal sealed record GmailMessageRef(string Id, string? ThreadId, ImmutableArray<string>? LabelIds);

internal sealed record GmailMessageList(ImmutableArray<GmailMessageRef>? Messages, string? NextPageToken);

/// <summary><c>users.messages.get?format=raw</c>: the RFC 5322 message as base64url, and when Gmail received it (epoch ms).</summary>
internal sealed record GmailRawMessage(
    string Id,
    string? ThreadId,
    string? Raw,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long? InternalDate);

internal sealed record GmailProfile(string? EmailAddress, [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] ulong HistoryId);

internal sealed record GmailWatchRequest(string TopicName, ImmutableArray<string> LabelIds, string LabelFilterBehavior);

internal sealed record GmailWatchResponse(
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] ulong HistoryId,
    [property: JsonNumberHandling(JsonNumberHandling.AllowReadingFromString)] long Expiration);

/// <summary>Google's error body: <c>{"error": {"code", "message", "errors": [{"reason"}], "status"}}</c>.</summary>
internal sealed record GoogleErrorBody(GoogleError? Error);

internal sealed record GoogleError(int Code, string? Message, string? Status, ImmutableArray<GoogleErrorItem>? Errors);

internal sealed record GoogleErrorItem(string? Reason, string? Domain);

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(PubSubPush))]
[JsonSerializable(typeof(GmailNotification))]
[JsonSerializable(typeof(GmailJob))]
[JsonSerializable(typeof(GmailRejected))]
[JsonSerializable(typeof(GmailHistoryList))]
[JsonSerializable(typeof(GmailMessageList))]
[JsonSerializable(typeof(GmailRawMessage))]
[JsonSerializable(typeof(GmailProfile))]
[JsonSerializable(typeof(GmailWatchRequest))]
[JsonSerializable(typeof(GmailWatchResponse))]
[JsonSerializable(typeof(GoogleErrorBody))]
internal sealed partial class GmailJsonContext : JsonSerializerContext;
