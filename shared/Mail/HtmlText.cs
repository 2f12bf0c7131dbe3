using System.Text;
using AngleSharp.Dom;
using AngleSharp.Html.Parser;

namespace Sift.Mail;

/// <summary>
/// Reduces an HTML body to readable text with a real HTML5 parser (AngleSharp): scripts, styles, hidden elements, comments
/// and images are dropped, block elements become line breaks, links keep their target when it differs from their text.
/// Nothing of the HTML is executed or fetched. <see cref="ToText(string, bool)"/> with <c>withoutQuotes</c> also drops the
/// quoted history that mail clients mark up (Gmail's <c>gmail_quote</c>, Outlook's <c>divRplyFwdMsg</c> and what follows,
/// Apple Mail's and Thunderbird's <c>blockquote type="cite"</c>).
/// </summary>
public static class HtmlText
{
    private static readonly HtmlParser Parser = new(new HtmlParserOptions { IsScripting = false });

    private static readonly HashSet<string> Dropped = new(StringComparer.OrdinalIgnoreCase)
    {
        "script", "style", "head", "title", "meta", "link", "noscript", "template", "svg", "img", "iframe", "object", "embed", "button", "input", "select", "textarea",
    };

    private static readonly HashSet<string> Blocks = new(StringComparer.OrdinalIgnoreCase)
    {
        "p", "div", "br", "li", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre", "hr", "section", "article", "header", "footer", "ul", "ol", "dl", "dt", "dd", "address",
    };

    public static string ToText(string html, bool withoutQuotes = false)
    {
        using var document = Parser.ParseDocument(html);
        var root = (INode?)document.Body ?? document.DocumentElement;
        if (root is null)
        {
            return string.Empty;
        }

        if (withoutQuotes)
        {
            RemoveQuotedHistory(document);
        }

        var sb = new StringBuilder(html.Length / 2);
        Append(root, sb);
        return Tidy(sb.ToString());
    }

    private static void RemoveQuotedHistory(IDocument document)
    {
        foreach (var quote in document.QuerySelectorAll(".gmail_quote, .gmail_extra, blockquote[type=cite], .moz-cite-prefix, #appendonsend, .yahoo_quoted").ToList())
        {
            quote.Remove();
        }

        // Outlook puts the quoted header block in divRplyFwdMsg (after an <hr>) and the quoted message after it, as siblings.
        if (document.GetElementById("divRplyFwdMsg") is { } outlook)
        {
            if (outlook.PreviousElementSibling is { LocalName: "hr" } rule)
            {
                rule.Remove();
            }

            for (var node = (INode?)outlook; node is not null;)
            {
                var next = node.NextSibling;
                node.RemoveFromParent();
                node = next;
            }
        }
    }

    private static void Append(INode node, StringBuilder sb)
    {
        switch (node)
        {
            case IText text:
                sb.Append(text.Data);
                return;
            case IElement element:
                if (Dropped.Contains(element.LocalName) || IsHidden(element))
                {
                    return;
                }

                var block = Blocks.Contains(element.LocalName);
                if (block)
                {
                    sb.Append('\n');
                }

                if (element.LocalName == "li")
                {
                    sb.Append("- ");
                }

                foreach (var child in element.ChildNodes)
                {
                    Append(child, sb);
                }

                if (element.LocalName == "a" && element.GetAttribute("href") is { } href
                    && href.StartsWith("http", StringComparison.OrdinalIgnoreCase)
                    && !element.TextContent.Contains(href, StringComparison.OrdinalIgnoreCase))
                {
                    sb.Append(" (").Append(href).Append(')');
                }

                if (block && element.LocalName != "li")
                {
                    sb.Append('\n');
                }
                else if (element.LocalName is "td" or "th")
                {
                    sb.Append(' ');
                }

                return;
            default:
                // Comments, processing instructions, doctype: never text.
                return;
        }
    }

    private static bool IsHidden(IElement element)
    {
        if (element.HasAttribute("hidden") || string.Equals(element.GetAttribute("aria-hidden"), "true", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        var style = element.GetAttribute("style");
        if (style is null)
        {
            return false;
        }

        var compact = style.Replace(" ", string.Empty, StringComparison.Ordinal);
        return compact.Contains("display:none", StringComparison.OrdinalIgnoreCase)
            || compact.Contains("visibility:hidden", StringComparison.OrdinalIgnoreCase)
            || compact.Contains("font-size:0", StringComparison.OrdinalIgnoreCase)
            || compact.Contains("max-height:0", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Collapses runs of spaces, trims lines, and keeps at most one blank line between paragraphs.</summary>
    internal static string Tidy(string text)
    {
        var sb = new StringBuilder(text.Length);
        var blank = 0;
        foreach (var raw in text.Replace('\u00a0', ' ').Split('\n'))
        {
            var line = CollapseSpaces(raw);
            if (line.Length == 0)
            {
                blank++;
                continue;
            }

            if (sb.Length > 0)
            {
                sb.Append(blank > 0 ? "\n\n" : "\n");
            }

            sb.Append(line);
            blank = 0;
        }

        return sb.ToString();
    }

    private static string CollapseSpaces(string line)
    {
        var sb = new StringBuilder(line.Length);
        var space = false;
        foreach (var c in line)
        {
            if (char.IsWhiteSpace(c) || c == '\u200b' || c == '\u200c' || c == '\u00ad')
            {
                space = sb.Length > 0;
                continue;
            }

            if (space)
            {
                sb.Append(' ');
                space = false;
            }

            sb.Append(c);
        }

        return sb.ToString();
    }
}
