using System.Collections.Immutable;
using System.Text.Json.Serialization;

namespace Sift.Mail;

/// <summary>An incoming email in Sift's normalized shape: what every source (API, Graph, Gmail, IMAP) produces.</summary>
public sealed record InboundMessage
{
    public required string InternetMessageId { get; init; }

    public required EmailAddress From { get; init; }

    public EmailAddress? ReplyTo { get; init; }

    public ImmutableArray<EmailAddress> To { get; init; } = [];

    public required string Subject { get; init; }

    public required DateTimeOffset ReceivedAt { get; init; }

    public string? InReplyTo { get; init; }

    public ImmutableArray<string> References { get; init; } = [];

    /// <summary>The conversation this message belongs to: the root of its References chain, or its own id.</summary>
    public required string ThreadId { get; init; }

    /// <summary>
    /// The id the receiving provider gave the message (a Graph message id, a Gmail message id), so that a reply can go
    /// through the same provider. Null for mail that came through the API or IMAP, and for messages stored before it was kept.
    /// </summary>
    public string? ProviderMessageId { get; init; }

    /// <summary>The provider's own thread id where it has one (Gmail's threadId); null otherwise.</summary>
    public string? ProviderThreadId { get; init; }

    /// <summary>The readable text of the message (text/plain, or HTML reduced to text).</summary>
    public required string Text { get; init; }

    /// <summary>
    /// What the sender wrote in this message: the text without the quoted history and the signature (see <see cref="ReplyText"/>).
    /// Null for messages stored before it was computed; read <see cref="Latest"/>.
    /// </summary>
    public string? NewText { get; init; }

    /// <summary>The new text, or the whole text when the new text is unknown.</summary>
    [JsonIgnore]
    public string Latest => string.IsNullOrEmpty(NewText) ? Text : NewText;

    /// <summary>A guess of the language of the new text (ISO 639-1), or null when none stands out.</summary>
    public string? Language { get; init; }

    /// <summary>True when the message had HTML and no text/plain part (the text was derived from the HTML).</summary>
    public bool HtmlOnly { get; init; }

    /// <summary>The top-level MIME type, e.g. <c>multipart/report</c> for delivery reports.</summary>
    public string ContentType { get; init; } = "text/plain";

    /// <summary>All headers, names in lower case; repeated headers joined by a line feed.</summary>
    public ImmutableDictionary<string, string> Headers { get; init; } = ImmutableDictionary<string, string>.Empty;

    /// <summary>Attachments are listed, never kept or sent to a model.</summary>
    public ImmutableArray<AttachmentInfo> Attachments { get; init; } = [];

    public string? Header(string name) => Headers.TryGetValue(name.ToLowerInvariant(), out var value) ? value : null;

    /// <summary>Where a reply goes: Reply-To when present, else From.</summary>
    public EmailAddress ReplyAddress => ReplyTo ?? From;

    /// <summary>Ids longer than this are replaced by a hash: PostgreSQL's unique index cannot hold a key over about 2.7 kB.</summary>
    public const int MaxIdLength = 512;

    /// <summary>
    /// The same message with its Message-ID and thread id no longer than <see cref="MaxIdLength"/>: a longer one (spam
    /// sends random ids of thousands of characters) becomes a hash of itself, so it still dedupes and threads the same way.
    /// </summary>
    public InboundMessage WithBoundedIds()
    {
        static string Bound(string id) => id.Length <= MaxIdLength
            ? id
            : $"{Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(id)))}@long-id.sift.invalid";

        return InternetMessageId.Length <= MaxIdLength && ThreadId.Length <= MaxIdLength && (InReplyTo?.Length ?? 0) <= MaxIdLength
            ? this
            : this with { InternetMessageId = Bound(InternetMessageId), ThreadId = Bound(ThreadId), InReplyTo = InReplyTo is null ? null : Bound(InReplyTo) };
    }

    /// <summary>
    /// The same message without U+0000, which PostgreSQL text cannot hold (a mail may carry it, e.g. as <c>=00</c>), so
    /// that a message is stored the same way on both engines instead of failing on one.
    /// </summary>
    public InboundMessage WithoutNulCharacters()
    {
        static string Strip(string value) => value.Contains('\0', StringComparison.Ordinal) ? value.Replace("\0", string.Empty, StringComparison.Ordinal) : value;
        static EmailAddress Address(EmailAddress address) => new(Strip(address.Address), address.Name is null ? null : Strip(address.Name));

        return this with
        {
            InternetMessageId = Strip(InternetMessageId),
            From = Address(From),
            ReplyTo = ReplyTo is null ? null : Address(ReplyTo),
            To = [.. To.Select(Address)],
            Subject = Strip(Subject),
            InReplyTo = InReplyTo is null ? null : Strip(InReplyTo),
            References = [.. References.Select(Strip)],
            ThreadId = Strip(ThreadId),
            Text = Strip(Text),
            NewText = NewText is null ? null : Strip(NewText),
            Headers = Headers.ToImmutableDictionary(h => Strip(h.Key), h => Strip(h.Value)),
            Attachments = [.. Attachments.Select(a => a with { Name = Strip(a.Name), ContentType = Strip(a.ContentType) })],
        };
    }
}

public sealed record EmailAddress(string Address, string? Name = null)
{
    public override string ToString() => string.IsNullOrEmpty(Name) ? Address : $"{Name} <{Address}>";
}

public sealed record AttachmentInfo(string Name, string ContentType, long Size);
