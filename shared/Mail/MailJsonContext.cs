using System.Text.Json.Serialization;

namespace Sift.Mail;

/// <summary>JSON for stored and posted messages.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InboundMessage))]
[JsonSerializable(typeof(PostedMessage))]
public sealed partial class MailJsonContext : JsonSerializerContext;
