using System.Collections.Immutable;
using System.IO.Compression;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sift.Classification.Local;

/// <summary>What <c>sift-model.json</c> says about the ML.NET model beside it in a <c>.siftmodel</c> file.</summary>
internal sealed record LocalModelMetadata(
    string Format,
    int FormatVersion,
    ImmutableArray<string> Labels,
    double Temperature,
    DateTimeOffset TrainedAt,
    string DataHash,
    string TextNormalisation,
    string Features,
    string Trainer,
    int FitExamples,
    int CalibrationExamples,
    CharWordGramLengths CharWordGrams);

/// <summary>The character n-gram lengths taken inside words (0 and 0: none), needed again at prediction time.</summary>
internal sealed record CharWordGramLengths(int MinLength, int MaxLength);

[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(LocalModelMetadata))]
internal sealed partial class LocalModelJsonContext : JsonSerializerContext;

/// <summary>
/// A <c>.siftmodel</c> file: a zip with the ML.NET model (<c>model.mlnet</c>) and its metadata (<c>sift-model.json</c>), so the
/// labels, the temperature and the text normalisation can never be separated from the weights they belong to.
/// </summary>
internal static class LocalModelFile
{
    public const string Format = "sift-local-intent";
    public const int CurrentFormatVersion = 2;
    public const string ModelEntry = "model.mlnet";
    public const string MetadataEntry = "sift-model.json";

    /// <summary>The normalisation applied before ML.NET's own (lower case, no diacritics), recorded so a reader can tell.</summary>
    public const string Normalisation = "collapse-whitespace;max-chars=2000";

    // Long quoted threads carry little intent and would only slow featurisation down.
    private const int MaxChars = 2000;

    public static string NormaliseText(string text)
    {
        var span = text.AsSpan().Trim();
        if (span.Length > MaxChars)
        {
            span = span[..MaxChars];
        }

        var builder = new StringBuilder(span.Length);
        var space = false;
        foreach (var c in span)
        {
            if (char.IsWhiteSpace(c))
            {
                space = true;
                continue;
            }

            if (space && builder.Length > 0)
            {
                builder.Append(' ');
            }

            space = false;
            builder.Append(c);
        }

        return builder.ToString();
    }

    /// <summary>
    /// The character n-grams of each word, padded with a boundary mark, as space-separated tokens (scikit-learn's
    /// char_wb analyser, lower-cased, words being runs of letters and digits): unlike whole-text character n-grams they never straddle two words, so a word's stem and its
    /// ending count wherever the word stands. Each distinct gram appears once (binary term frequency).
    /// </summary>
    public static string CharWordGrams(string normalised, int minLength, int maxLength)
    {
        // Lower case only: the build runs with invariant globalization, where Unicode decomposition (to drop diacritics) is unavailable.
        var folded = normalised.ToLowerInvariant();
        var grams = new HashSet<string>(StringComparer.Ordinal);
        var builder = new StringBuilder(folded.Length * 8);
        // Case folding can lengthen the text (a decomposed letter is two chars), so the buffer follows the folded length.
        Span<char> padded = folded.Length <= 510 ? stackalloc char[512] : new char[folded.Length + 2];
        var start = 0;
        for (var i = 0; i <= folded.Length; i++)
        {
            if (i < folded.Length && char.IsLetterOrDigit(folded[i]))
            {
                continue;
            }

            if (i > start)
            {
                var length = i - start + 2;
                padded[0] = WordMark;
                folded.AsSpan(start, i - start).CopyTo(padded[1..]);
                padded[length - 1] = WordMark;
                for (var n = minLength; n <= maxLength; n++)
                {
                    // A word shorter than n gives itself (padded) once, as scikit-learn does.
                    var count = Math.Max(1, length - n + 1);
                    for (var offset = 0; offset < count; offset++)
                    {
                        var gram = new string(padded.Slice(offset, Math.Min(n, length - offset)));
                        if (grams.Add(gram))
                        {
                            if (builder.Length > 0)
                            {
                                builder.Append(' ');
                            }

                            builder.Append(gram);
                        }
                    }

                    if (length <= n)
                    {
                        break;
                    }
                }
            }

            start = i + 1;
        }

        return builder.ToString();
    }

    private const char WordMark = '_';

    public static void Write(string path, byte[] model, LocalModelMetadata metadata)
    {
        var directory = Path.GetDirectoryName(Path.GetFullPath(path));
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        // Written beside the target and moved over it, so a reader never sees half a model.
        var temporary = path + ".tmp";
        try
        {
            using (var file = File.Create(temporary))
            using (var zip = new ZipArchive(file, ZipArchiveMode.Create))
            {
                AddEntry(zip, MetadataEntry, JsonSerializer.SerializeToUtf8Bytes(metadata, LocalModelJsonContext.Default.LocalModelMetadata), metadata.TrainedAt);
                AddEntry(zip, ModelEntry, WithTimestamps(model, metadata.TrainedAt), metadata.TrainedAt);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }

    /// <summary>"local-" and the first 12 hex digits of the file's SHA-256: the same file always has the same version.</summary>
    public static string VersionOf(byte[] fileBytes) => "local-" + Convert.ToHexStringLower(SHA256.HashData(fileBytes))[..12];

    /// <summary>Reads and checks a model file; every problem is an <see cref="InvalidDataException"/> naming the path.</summary>
    public static (byte[] Model, LocalModelMetadata Metadata, string Version) Read(string path)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new InvalidDataException($"Cannot read the local intent model '{path}': {ex.Message}", ex);
        }

        try
        {
            using var zip = new ZipArchive(new MemoryStream(bytes), ZipArchiveMode.Read);
            var metadataEntry = zip.GetEntry(MetadataEntry) ?? throw new InvalidDataException($"'{path}' is not a Sift model: it has no {MetadataEntry} entry.");
            var modelEntry = zip.GetEntry(ModelEntry) ?? throw new InvalidDataException($"'{path}' is not a Sift model: it has no {ModelEntry} entry.");
            LocalModelMetadata? metadata;
            using (var stream = metadataEntry.Open())
            {
                metadata = JsonSerializer.Deserialize(stream, LocalModelJsonContext.Default.LocalModelMetadata);
            }

            if (metadata is null || metadata.Format != Format)
            {
                throw new InvalidDataException($"'{path}' is not a Sift local intent model ({MetadataEntry} says format '{metadata?.Format}', expected '{Format}').");
            }

            if (metadata.FormatVersion != CurrentFormatVersion)
            {
                throw new InvalidDataException($"'{path}' has model format version {metadata.FormatVersion}; this build reads version {CurrentFormatVersion}. Retrain it with sift train.");
            }

            if (metadata.Labels.IsDefaultOrEmpty || metadata.Labels.Length < 2 || !double.IsFinite(metadata.Temperature) || metadata.Temperature <= 0)
            {
                throw new InvalidDataException($"'{path}': {MetadataEntry} needs at least two labels and a positive temperature.");
            }

            if (metadata.CharWordGrams is not { MinLength: >= 0, MaxLength: >= 0 and <= 10 } grams || (grams.MaxLength > 0 && (grams.MinLength < 1 || grams.MinLength > grams.MaxLength)))
            {
                throw new InvalidDataException($"'{path}': {MetadataEntry} needs charWordGrams with 1 <= minLength <= maxLength <= 10 (or both 0).");
            }

            using var model = new MemoryStream();
            using (var stream = modelEntry.Open())
            {
                stream.CopyTo(model);
            }

            return (model.ToArray(), metadata, VersionOf(bytes));
        }
        catch (Exception ex) when (ex is IOException or JsonException or NotSupportedException or InvalidDataException && !ex.Message.Contains(path, StringComparison.Ordinal))
        {
            // The zip reader's own InvalidDataException ("Central Directory corrupt.") does not say which file it was.
            throw new InvalidDataException($"'{path}' is not a readable Sift model file: {ex.Message}", ex);
        }
    }

    /// <summary>
    /// ML.NET's model is itself a zip stamped with the save time: restamped with the training time, the same data
    /// and clock give the same file, and so the same version.
    /// </summary>
    private static byte[] WithTimestamps(byte[] model, DateTimeOffset timestamp)
    {
        using var buffer = new MemoryStream();
        using (var source = new ZipArchive(new MemoryStream(model, writable: false), ZipArchiveMode.Read))
        using (var target = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var entry in source.Entries)
            {
                using var content = new MemoryStream();
                using (var stream = entry.Open())
                {
                    stream.CopyTo(content);
                }

                AddEntry(target, entry.FullName, content.ToArray(), timestamp);
            }
        }

        return buffer.ToArray();
    }

    private static void AddEntry(ZipArchive zip, string name, byte[] content, DateTimeOffset timestamp)
    {
        var entry = zip.CreateEntry(name, CompressionLevel.Optimal);

        // The training time rather than the write time, so the same model written twice is the same file.
        entry.LastWriteTime = timestamp;
        using var stream = entry.Open();
        stream.Write(content);
    }
}
