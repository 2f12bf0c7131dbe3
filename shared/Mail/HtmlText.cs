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

    /// <summary>
    /// Elements nested deeper than this are not read (browsers stop at 512 too). The walk is iterative, and the selector
    /// queries that recurse are skipped on deeper documents, so that hostile nesting cannot exhaust the stack.
    /// </summary>
    public const int MaxDepth = 512;

    public static string ToText(string html, bool withoutQuotes = false)
    {
        // An HTML5 parser spends time quadratic in the nesting depth: hostile nesting is reduced to text without one.
        if (ApproximateDepth(html) > MaxDepth * 4)
        {
            return Tidy(StripTags(html));
        }

        using var document = Parser.ParseDocument(html);
        var root = (INode?)document.Body ?? document.DocumentElement;
        if (root is null)
        {
            return string.Empty;
        }

        if (withoutQuotes && DepthOf(root) <= MaxDepth)
        {
            RemoveQuotedHistory(document);
        }

        var sb = new StringBuilder(html.Length / 2);
        Append(root, sb);
        return Tidy(sb.ToString());
    }

    /// <summary>Opening tags minus closing tags at their deepest, in one pass: an upper bound good enough to refuse a parse.</summary>
    private static int ApproximateDepth(string html)
    {
        int depth = 0, deepest = 0;
        for (var i = html.IndexOf('<', StringComparison.Ordinal); i >= 0 && i + 1 < html.Length; i = html.IndexOf('<', i + 1))
        {
            var next = html[i + 1];
            if (next == '/')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (char.IsAsciiLetter(next))
            {
                deepest = Math.Max(deepest, ++depth);
            }
        }

        return deepest;
    }

    /// <summary>Text outside tags, entities decoded, scripts and styles not special-cased: the fallback for hostile HTML.</summary>
    private static string StripTags(string html)
    {
        var sb = new StringBuilder(html.Length / 4);
        var inTag = false;
        foreach (var c in html)
        {
            if (c == '<')
            {
                inTag = true;
            }
            else if (c == '>')
            {
                inTag = false;
                sb.Append(' ');
            }
            else if (!inTag)
            {
                sb.Append(c);
            }
        }

        return System.Net.WebUtility.HtmlDecode(sb.ToString());
    }

    private static int DepthOf(INode root)
    {
        var deepest = 0;
        var stack = new Stack<(INode Node, int Depth)>();
        stack.Push((root, 0));
        while (stack.Count > 0)
        {
            var (node, depth) = stack.Pop();
            deepest = Math.Max(deepest, depth);
            if (depth > MaxDepth)
            {
                return depth;
            }

            foreach (var child in node.ChildNodes)
            {
                stack.Push((child, depth + 1));
            }
        }

        return deepest;
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

    /// <summary>Appends the text of <paramref name="root"/>, walking the tree with an explicit stack.</summary>
    private static void Append(INode root, StringBuilder sb)
    {
        // Each element is visited twice: on entry (Start = -1) and on exit (Start = where its text began).
        var stack = new Stack<(INode Node, int Depth, int Start)>();
        stack.Push((root, 0, -1));
        while (stack.Count > 0)
        {
            var (node, depth, start) = stack.Pop();
            if (node is IText text)
            {
                sb.Append(text.Data);
                continue;
            }

            if (node is not IElement element)
            {
                // Comments, processing instructions, doctype: never text.
                continue;
            }

            var block = Blocks.Contains(element.LocalName);
            if (start >= 0)
            {
                Close(element, block, sb, start);
                continue;
            }

            if (Dropped.Contains(element.LocalName) || IsHidden(element) || depth > MaxDepth)
            {
                continue;
            }

            if (block)
            {
                sb.Append('\n');
            }

            if (element.LocalName == "li")
            {
                sb.Append("- ");
            }

            stack.Push((element, depth, sb.Length));
            for (var i = element.ChildNodes.Length - 1; i >= 0; i--)
            {
                stack.Push((element.ChildNodes[i], depth + 1, -1));
            }
        }
    }

    private static void Close(IElement element, bool block, StringBuilder sb, int start)
    {
        if (element.LocalName == "a" && element.GetAttribute("href") is { } href
            && href.StartsWith("http", StringComparison.OrdinalIgnoreCase)
            && sb.ToString(start, sb.Length - start).IndexOf(href, StringComparison.OrdinalIgnoreCase) < 0)
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
