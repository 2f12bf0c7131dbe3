using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json;

namespace Sift.Classification.Llm;

/// <summary>A model answer that passed validation: every value from the taxonomy.</summary>
internal sealed record LlmAnswer(string Intent, string Urgency, string Owner, ImmutableArray<string> PolicyFlags, double Confidence, string Rationale)
{
    /// <summary>
    /// Parses and validates strictly: one JSON object and nothing around it (no prose, no code fence), exactly the
    /// schema's fields, values from the taxonomy, confidence within 0..1. Returns the errors in words the model can act on.
    /// </summary>
    public static (LlmAnswer? Answer, string Outcome, ImmutableArray<string> Errors) Parse(string? text, TaxonomyOptions taxonomy)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return (null, "invalid-json", ["The answer was empty."]);
        }

        JsonDocument document;
        try
        {
            // JsonDocument rejects anything after the value, so "here is the JSON: {...}" or a trailing remark fails here.
            document = JsonDocument.Parse(text.Trim());
        }
        catch (JsonException e)
        {
            return (null, "invalid-json", [$"The answer is not one JSON object ({e.Message})."]);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, "invalid-json", ["The answer must be a JSON object."]);
            }

            var errors = new List<string>();
            foreach (var property in root.EnumerateObject())
            {
                if (!LlmPrompt.Fields.Contains(property.Name))
                {
                    errors.Add($"Unknown field \"{property.Name}\".");
                }
            }

            var intent = Choice(root, "intent", taxonomy.IntentNames, errors);
            var urgency = Choice(root, "urgency", taxonomy.Urgencies, errors);
            var owner = Choice(root, "owner", taxonomy.Owners, errors);
            var flags = Flags(root, taxonomy.PolicyFlags, errors);
            var confidence = ConfidenceOf(root, errors);
            var rationale = Text(root, "rationale", errors);
            return errors.Count > 0 || intent is null || urgency is null || owner is null || rationale is null
                ? (null, "invalid-answer", [.. errors])
                : (new LlmAnswer(intent, urgency, owner, flags, confidence, rationale), "ok", []);
        }
    }

    private static string? Choice(JsonElement root, string field, IEnumerable<string> allowed, List<string> errors)
    {
        var value = Text(root, field, errors);
        if (value is not null && !allowed.Contains(value, StringComparer.Ordinal))
        {
            errors.Add($"\"{field}\" is \"{value}\", which is not one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}.");
            return null;
        }

        return value;
    }

    private static string? Text(JsonElement root, string field, List<string> errors)
    {
        if (!root.TryGetProperty(field, out var value))
        {
            errors.Add($"The field \"{field}\" is missing.");
            return null;
        }

        if (value.ValueKind != JsonValueKind.String || string.IsNullOrWhiteSpace(value.GetString()))
        {
            errors.Add($"\"{field}\" must be a non-empty string.");
            return null;
        }

        return value.GetString()!.Trim();
    }

    private static ImmutableArray<string> Flags(JsonElement root, IEnumerable<string> allowed, List<string> errors)
    {
        if (!root.TryGetProperty("policy_flags", out var value))
        {
            errors.Add("The field \"policy_flags\" is missing.");
            return [];
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            errors.Add("\"policy_flags\" must be an array of strings.");
            return [];
        }

        var flags = ImmutableArray.CreateBuilder<string>();
        foreach (var item in value.EnumerateArray())
        {
            var flag = item.ValueKind == JsonValueKind.String ? item.GetString() : null;
            if (flag is null || !allowed.Contains(flag, StringComparer.Ordinal))
            {
                errors.Add($"\"policy_flags\" holds {item.GetRawText()}, which is not one of {string.Join(", ", allowed.Select(a => $"\"{a}\""))}.");
            }
            else if (!flags.Contains(flag))
            {
                flags.Add(flag);
            }
        }

        return flags.ToImmutable();
    }

    private static double ConfidenceOf(JsonElement root, List<string> errors)
    {
        if (!root.TryGetProperty("confidence", out var value))
        {
            errors.Add("The field \"confidence\" is missing.");
            return 0;
        }

        if (value.ValueKind != JsonValueKind.Number || !value.TryGetDouble(out var confidence) || double.IsNaN(confidence) || confidence is < 0 or > 1)
        {
            errors.Add(string.Create(CultureInfo.InvariantCulture, $"\"confidence\" is {value.GetRawText()}; it must be a number from 0 to 1."));
            return 0;
        }

        return confidence;
    }
}
