using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;

namespace Sift.Classification;

/// <summary>Which lines of a labelled JSONL file to read: a field filter and a deterministic hold-out part.</summary>
/// <param name="Where">Keep only lines whose field has one of these values (e.g. <c>split</c> = train).</param>
/// <param name="HoldoutFraction">The share of lines (0..1) set apart for evaluation, chosen by a hash of the line's id (or text).</param>
/// <param name="Part"><see cref="LabelledJsonl.TrainPart"/>, <see cref="LabelledJsonl.HoldoutPart"/> or null for every line.</param>
public sealed record JsonlSelection(
    IReadOnlyDictionary<string, IReadOnlySet<string>>? Where = null,
    double HoldoutFraction = 0,
    string? Part = null);

/// <summary>
/// Reads labelled JSONL (one object per line with a text field and a label field) for <c>sift train</c> and
/// <c>sift eval</c>. The hold-out split hashes each line's <c>id</c> (or its text), so train and eval agree on it
/// without a copy of the data, run after run.
/// </summary>
public static class LabelledJsonl
{
    public const string TrainPart = "train";
    public const string HoldoutPart = "holdout";

    public static IReadOnlyList<LabelledText> Read(string path, string textField = "body", string labelField = "label", JsonlSelection? selection = null)
    {
        selection ??= new JsonlSelection();
        if (selection.HoldoutFraction is < 0 or >= 1)
        {
            throw new ArgumentOutOfRangeException(nameof(selection), "The hold-out fraction must be at least 0 and below 1.");
        }

        var items = new List<LabelledText>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(path))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonElement root;
            try
            {
                using var doc = JsonDocument.Parse(line);
                root = doc.RootElement.Clone();
            }
            catch (JsonException ex)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a JSON object ({ex.Message}).", ex);
            }

            if (root.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidDataException($"{path}:{lineNumber}: not a JSON object ({root.ValueKind}).");
            }

            if (selection.Where is { } where && !where.All(w => root.TryGetProperty(w.Key, out var v) && v.ValueKind == JsonValueKind.String && w.Value.Contains(v.GetString()!)))
            {
                continue;
            }

            var text = StringField(root, textField, path, lineNumber);
            var label = StringField(root, labelField, path, lineNumber);
            if (selection.Part is { } part && selection.HoldoutFraction > 0)
            {
                var key = root.TryGetProperty("id", out var id) && id.ValueKind == JsonValueKind.String ? id.GetString()! : text;
                if (IsHoldout(key, selection.HoldoutFraction) != (part == HoldoutPart))
                {
                    continue;
                }
            }

            items.Add(new LabelledText(text, label));
        }

        return items;
    }

    /// <summary>Whether a line with this key falls in the hold-out part: a stable hash, the same on every machine and run.</summary>
    public static bool IsHoldout(string key, double fraction) =>
        BinaryPrimitives.ReadUInt64BigEndian(SHA256.HashData(Encoding.UTF8.GetBytes(key))) % 10_000 < (ulong)Math.Round(fraction * 10_000);

    /// <summary>Parses <c>FIELD=V1,V2</c>.</summary>
    public static KeyValuePair<string, IReadOnlySet<string>> ParseWhere(string expression)
    {
        var eq = expression.IndexOf('=', StringComparison.Ordinal);
        if (eq <= 0 || eq == expression.Length - 1)
        {
            throw new FormatException($"'{expression}' is not FIELD=VALUE[,VALUE...].");
        }

        return new(expression[..eq], expression[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal));
    }

    private static string StringField(JsonElement root, string field, string path, int lineNumber)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty(field, out var value))
        {
            throw new InvalidDataException($"{path}:{lineNumber}: no '{field}' field.");
        }

        return value.ValueKind switch
        {
            JsonValueKind.String => value.GetString()!,
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new InvalidDataException($"{path}:{lineNumber}: '{field}' is {value.ValueKind}, not a string."),
        };
    }
}
