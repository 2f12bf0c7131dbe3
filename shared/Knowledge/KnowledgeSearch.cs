using System.Collections.Immutable;
using Microsoft.Extensions.Options;
using Sift.Mail;

namespace Sift.Knowledge;

/// <summary>The knowledge base searched for a message with the configured top-k and minimum score.</summary>
public sealed class KnowledgeSearch(KnowledgeBase knowledge, IOptions<KnowledgeOptions> options)
{
    /// <summary>The sections for the subject and the new text of the mail (not the quoted history, which answers old questions).</summary>
    public ImmutableArray<KbHit> For(InboundMessage message) =>
        knowledge.Search($"{message.Subject}\n{message.Latest}", options.Value.TopK, options.Value.MinScore);
}
