using System.Text.Json.Serialization;

namespace Sift.Policy;

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip, AllowTrailingCommas = true)]
[JsonSerializable(typeof(PolicyDocument))]
[JsonSerializable(typeof(RouteDecision))]
[JsonSerializable(typeof(List<PolicyProblem>))]
[JsonSerializable(typeof(List<PolicyCase>))]
internal sealed partial class PolicyJsonContext : JsonSerializerContext;
