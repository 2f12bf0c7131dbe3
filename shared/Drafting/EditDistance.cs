namespace Sift.Drafting;

/// <summary>How much a reviewer changed a draft: the Levenshtein distance in characters, and that distance over the longer text.</summary>
public static class EditDistance
{
    /// <summary>Past this many characters each, the distance is counted on words: the same measure of change, far cheaper.</summary>
    private const int MaxChars = 8_000;

    public static (int Distance, double Ratio) Measure(string draft, string sent)
    {
        var a = Normalize(draft);
        var b = Normalize(sent);
        if (a.Length > MaxChars || b.Length > MaxChars)
        {
            var wordsA = a.Split(' ');
            var wordsB = b.Split(' ');
            var words = Levenshtein(wordsA, wordsB);
            return (words, Math.Max(wordsA.Length, wordsB.Length) == 0 ? 0 : (double)words / Math.Max(wordsA.Length, wordsB.Length));
        }

        var distance = Levenshtein(a.ToCharArray(), b.ToCharArray());
        var longer = Math.Max(a.Length, b.Length);
        return (distance, longer == 0 ? 0 : (double)distance / longer);
    }

    /// <summary>Line endings and runs of spaces are not edits a reviewer made.</summary>
    private static string Normalize(string text) => string.Join(' ', text.Split((char[])[' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries));

    private static int Levenshtein<T>(T[] a, T[] b)
        where T : IEquatable<T>
    {
        if (a.Length < b.Length)
        {
            (a, b) = (b, a);
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = a[i - 1].Equals(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
