using System.Globalization;
using System.Text;

namespace Sift.Mail;

/// <summary>
/// A small, dependency-free language guess for routing and the reply-language lint: the writing system first (CJK, Hangul,
/// kana, Cyrillic, Greek, Arabic, Hebrew, Thai), then, for Latin script, the share of each language's most frequent
/// function words. Returns an ISO 639-1 code, or <c>null</c> when the text is too short or no language stands out.
/// </summary>
public static class LanguageGuess
{
    private static readonly Dictionary<string, HashSet<string>> StopWords = new(StringComparer.Ordinal)
    {
        ["en"] = Words("the and to of a in is you that it for i on with this be are have we your not please can will at my our as from if thanks would"),
        ["de"] = Words("der die und ist nicht das ich sie es zu ein eine mit den auf für sind wir bitte ihr ihre haben dem des auch wie danke vielen uns"),
        ["fr"] = Words("le la les et est des un une pour pas que vous nous je en du dans ce qui sur avec merci bonjour votre mais sont au il elle"),
        ["es"] = Words("el la los las y es que de en un una por para no con se su al lo como más pero gracias hola usted nos mi está este"),
        ["it"] = Words("il la che di e è un una per non sono con del della mi ti ci gli le grazie buongiorno questo come anche ho al"),
        ["nl"] = Words("de het een en is van ik je niet dat op te met voor zijn we ons u uw maar ook graag bedankt dank heb"),
        ["pt"] = Words("o a os as e é que de em um uma para não com se do da por mais mas obrigado olá você nós meu está"),
        ["sv"] = Words("och att det är som en på för med jag inte har till av den vi ni tack hej kan om"),
        ["da"] = Words("og at det er som en på for med jeg ikke har til af den vi i tak hej kan om"),
        ["pl"] = Words("i w nie na się jest to że do z jak co dziękuję proszę czy pan pani mi jestem ale tak"),
        ["lv"] = Words("un ir ar par uz no kas lai vai jūs mēs paldies bet tas šo es"),
        ["fi"] = Words("ja on ei että se en olen kiitos hei mutta kuin voi ole tämä"),
    };

    public static string? Guess(string text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        var sample = text.Length > 4000 ? text[..4000] : text;
        if (ByScript(sample) is { } script)
        {
            return script;
        }

        var words = Tokens(sample).ToList();
        if (words.Count < 3)
        {
            return null;
        }

        var best = (Code: (string?)null, Hits: 0);
        var second = 0;
        foreach (var (code, stop) in StopWords)
        {
            var hits = words.Count(stop.Contains);
            if (hits > best.Hits)
            {
                second = best.Hits;
                best = (code, hits);
            }
            else if (hits > second)
            {
                second = hits;
            }
        }

        // At least two function words, and clearly ahead of the runner-up (Danish and Swedish, say, share many).
        return best.Hits >= 2 && best.Hits > second ? best.Code : null;
    }

    private static string? ByScript(string text)
    {
        int letters = 0, han = 0, kana = 0, hangul = 0, cyrillic = 0, greek = 0, arabic = 0, hebrew = 0, thai = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (!Rune.IsLetter(rune))
            {
                continue;
            }

            letters++;
            var v = rune.Value;
            switch (v)
            {
                case >= 0x3040 and <= 0x30FF: kana++; break;
                case >= 0x4E00 and <= 0x9FFF: han++; break;
                case >= 0xAC00 and <= 0xD7AF: hangul++; break;
                case >= 0x0400 and <= 0x04FF: cyrillic++; break;
                case >= 0x0370 and <= 0x03FF: greek++; break;
                case >= 0x0600 and <= 0x06FF: arabic++; break;
                case >= 0x0590 and <= 0x05FF: hebrew++; break;
                case >= 0x0E00 and <= 0x0E7F: thai++; break;
            }
        }

        if (letters == 0)
        {
            return null;
        }

        bool Share(int count) => count >= 3 && count >= letters * 0.3;
        return kana >= 2 && Share(kana + han) ? "ja"
            : Share(hangul) ? "ko"
            : Share(han) ? "zh"
            : Share(cyrillic) ? (text.Contains('і', StringComparison.Ordinal) || text.Contains('ї', StringComparison.Ordinal) ? "uk" : "ru")
            : Share(greek) ? "el"
            : Share(arabic) ? "ar"
            : Share(hebrew) ? "he"
            : Share(thai) ? "th"
            : null;
    }

    private static IEnumerable<string> Tokens(string text)
    {
        var sb = new StringBuilder();
        foreach (var c in text)
        {
            if (char.IsLetter(c))
            {
                sb.Append(char.ToLower(c, CultureInfo.InvariantCulture));
            }
            else if (sb.Length > 0)
            {
                yield return sb.ToString();
                sb.Clear();
            }
        }

        if (sb.Length > 0)
        {
            yield return sb.ToString();
        }
    }

    private static HashSet<string> Words(string list) => new(list.Split(' '), StringComparer.Ordinal);
}
