using System.Text.RegularExpressions;

namespace Sift.Mail;

/// <summary>The parts of a message's text: what the sender wrote now, the quoted history, and the signature.</summary>
public sealed record ReplyParts(string NewText, string QuotedText, string Signature);

/// <summary>
/// Separates the new text of a reply from the quoted history and the signature, on plain text: the history starts at a
/// quote header ("On … wrote:" and its translations, Outlook's "-----Original Message-----" or its From:/Sent: block, a
/// forwarded-message banner); lines quoted with "&gt;" are history wherever they are; the signature starts at the RFC 3676
/// delimiter "-- " or a mobile client's sign-off. When nothing is left, the whole text counts as new.
/// </summary>
public static partial class ReplyText
{
    public static ReplyParts Split(string text)
    {
        var lines = text.ReplaceLineEndings("\n").Split('\n');
        var historyAt = FindHistory(lines);
        var body = lines.Take(historyAt).ToList();
        var quoted = string.Join('\n', lines.Skip(historyAt)).Trim();

        var fresh = new List<string>(body.Count);
        var inlineQuotes = new List<string>();
        foreach (var line in body)
        {
            (line.TrimStart().StartsWith('>') ? inlineQuotes : fresh).Add(line);
        }

        var signatureAt = FindSignature(fresh);
        var signature = string.Join('\n', fresh.Skip(signatureAt)).Trim();
        var newText = string.Join('\n', fresh.Take(signatureAt)).Trim();
        if (inlineQuotes.Count > 0)
        {
            quoted = (string.Join('\n', inlineQuotes) + "\n" + quoted).Trim();
        }

        return newText.Length == 0 ? new ReplyParts(text.Trim(), quoted, signature) : new ReplyParts(newText, quoted, signature);
    }

    private static int FindHistory(string[] lines)
    {
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i].Trim();
            if (line.Length == 0)
            {
                continue;
            }

            if (Separator().IsMatch(line))
            {
                return i;
            }

            // "On Tue, 3 Mar 2026 at 10:04, Ana <ana@x> wrote:" is often wrapped over two lines.
            var joined = i + 1 < lines.Length ? $"{line} {lines[i + 1].Trim()}" : line;
            if (Attribution().IsMatch(line) || (Attribution().IsMatch(joined) && !line.EndsWith(':')))
            {
                return i;
            }

            // Outlook's plain-text header block: From: … then Sent:/Date: within the next lines.
            if (OutlookFrom().IsMatch(line) && lines.Skip(i + 1).Take(4).Any(l => OutlookSent().IsMatch(l.Trim())))
            {
                return i > 0 && Underscores().IsMatch(lines[i - 1].Trim()) ? i - 1 : i;
            }
        }

        return lines.Length;
    }

    private static int FindSignature(List<string> lines)
    {
        for (var i = 0; i < lines.Count; i++)
        {
            var line = lines[i];
            if (line is "-- " or "--" or "—" || MobileSignOff().IsMatch(line.Trim()))
            {
                return i;
            }
        }

        return lines.Count;
    }

    [GeneratedRegex(@"^(-{2,}\s*(original message|urspr[üu]ngliche nachricht|message d'origine|mensaje original|messaggio originale|oorspronkelijk bericht|originalmeddelande|forwarded message|weitergeleitete nachricht|message transf[ée]r[ée])\s*-{2,}|begin forwarded message:)", RegexOptions.IgnoreCase)]
    private static partial Regex Separator();

    [GeneratedRegex(@"^(on\s.{4,200}\swrote:|le\s.{4,200}\sa\s[ée]crit\s?:|am\s.{4,200}\sschrieb.{0,200}:|el\s.{4,200}\sescribi[óo]:|il\s.{4,200}\sha scritto:|op\s.{4,200}\sschreef.{0,200}:|em\s.{4,200}\sescreveu:|w dniu\s.{4,200}\spisze:|den\s.{4,200}\sskrev.{0,200}:|\S+@\S+\s+wrote:)$", RegexOptions.IgnoreCase)]
    private static partial Regex Attribution();

    [GeneratedRegex(@"^\*?(from|von|de|van|da|från|od):\*?\s", RegexOptions.IgnoreCase)]
    private static partial Regex OutlookFrom();

    [GeneratedRegex(@"^\*?(sent|date|gesendet|datum|envoy[ée]|enviado|verzonden|inviato|skickat|wysłano):\*?\s", RegexOptions.IgnoreCase)]
    private static partial Regex OutlookSent();

    [GeneratedRegex("^_{10,}$")]
    private static partial Regex Underscores();

    [GeneratedRegex(@"^(sent from my (iphone|ipad|android|mobile|phone|samsung|galaxy|blackberry)|sent from (outlook|mail) for (ios|android|windows)|get outlook for (ios|android)|von meinem (iphone|ipad|smartphone) gesendet|envoy[ée] de mon (iphone|ipad)|enviado desde mi (iphone|ipad|m[óo]vil))\b", RegexOptions.IgnoreCase)]
    private static partial Regex MobileSignOff();
}
