using System.Text.Json.Serialization;

namespace Sift.Policy;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(PolicyOptions))]
[JsonSerializable(typeof(RouteDecision))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;
