using System.Net;
using Microsoft.Graph.Models;
using Microsoft.Graph.Users.Item.Messages.Item.CreateReply;
using Microsoft.Kiota.Abstractions;
using Sift.Ingestion.Graph;

namespace Sift.Mail.Transports;

/// <summary>
/// Replies through Microsoft Graph from the mailbox that received the mail, in its thread: <c>createReply</c> on the
/// original (which gives Exchange's own threading), a <c>PATCH</c> with Sift's text and recipient, then <c>send</c>.
/// The draft carries the idempotency key twice: as a single-value extended property, which <c>$filter</c> can find in
/// Drafts and Sent Items, and as the <c>X-Sift-Idempotency-Key</c> header. Graph's JSON accepts only <c>x-</c> headers,
/// so <c>Auto-Submitted</c> is not set on this path (see docs/sending.md).
/// Calls go through the SDK client that Graph ingestion builds (<see cref="GraphMail"/>): the same credentials, base URL
/// and middleware, without the SDK's retry handler, so throttling becomes a workflow retry instead of an inline wait.
/// </summary>
internal sealed class GraphTransport(GraphMail graph, TimeProvider time) : IMailTransport
{
    public const string TransportName = "graph";

    /// <summary>A named property in a property set of Sift's own: it never collides with another application's.</summary>
    public const string KeyPropertyId = "String {6f5c3a1e-2b7d-4f0a-9c8e-5d1b7a3e9f20} Name SiftIdempotencyKey";

    private static readonly string[] FoundFields = ["id", "isDraft", "sentDateTime"];

    public string Name => TransportName;

    public async Task<SendReceipt?> FindSentAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        var found = await FindAsync(reply, cancellationToken);
        return found is { IsDraft: false } sent ? Receipt(sent) : null;
    }

    public async Task<SendReceipt> SendAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        // A draft left by an attempt that stopped before its send is sent now, not duplicated.
        var existing = await FindAsync(reply, cancellationToken);
        if (existing is { IsDraft: false })
        {
            return Receipt(existing);
        }

        var draftId = existing?.Id ?? await CreateReplyAsync(reply, cancellationToken);
        var user = graph.Client.Users[reply.Mailbox];
        await CallAsync("update the reply draft", () => user.Messages[draftId].PatchAsync(
            new Message
            {
                Body = new ItemBody { ContentType = BodyType.Text, Content = reply.Text },
                ToRecipients = [Recipient(reply.InReplyTo.ReplyAddress)],
            },
            cancellationToken: cancellationToken));
        await CallAsync("send the reply", async () =>
        {
            await user.Messages[draftId].Send.PostAsync(cancellationToken: cancellationToken);
            return true;
        });
        return new SendReceipt(Name, draftId, time.GetUtcNow());
    }

    private async Task<string> CreateReplyAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        var originalId = reply.InReplyTo.ProviderMessageId ?? await FindOriginalAsync(reply, cancellationToken);
        try
        {
            return await CreateReplyAsync(reply, originalId, cancellationToken);
        }
        catch (ApiException ex) when (ex.ResponseStatusCode == (int)HttpStatusCode.NotFound && reply.InReplyTo.ProviderMessageId is not null)
        {
            // The id changes when the message is moved to another folder: find it again by its Message-ID.
            return await CreateReplyAsync(reply, await FindOriginalAsync(reply, cancellationToken), cancellationToken);
        }
    }

    private async Task<string> CreateReplyAsync(OutgoingReply reply, string originalId, CancellationToken cancellationToken)
    {
        // The key is set when the draft is created, so that a crash right after leaves a draft the next attempt finds.
        var body = new CreateReplyPostRequestBody
        {
            Message = new Message
            {
                SingleValueExtendedProperties = [new SingleValueLegacyExtendedProperty { Id = KeyPropertyId, Value = reply.IdempotencyKey }],
                InternetMessageHeaders = [new InternetMessageHeader { Name = OutgoingReply.IdempotencyHeader, Value = reply.IdempotencyKey }],
            },
        };
        var draft = await CallAsync("create the reply draft", () => graph.Client.Users[reply.Mailbox].Messages[originalId].CreateReply.PostAsync(body, cancellationToken: cancellationToken));
        return draft?.Id ?? throw new InvalidOperationException($"Graph created a reply to {originalId} in {reply.Mailbox} without an id.");
    }

    /// <summary>The original message in the receiving mailbox, by its Message-ID (mail that came through the API or IMAP has no Graph id).</summary>
    private async Task<string> FindOriginalAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        var internetId = $"<{reply.InReplyTo.InternetMessageId}>";
        var page = await CallAsync("find the original message", () => graph.Client.Users[reply.Mailbox].Messages.GetAsync(
            request =>
            {
                request.QueryParameters.Filter = $"internetMessageId eq '{Quote(internetId)}'";
                request.QueryParameters.Select = ["id"];
                request.QueryParameters.Top = 1;
            },
            cancellationToken));
        return page?.Value?.FirstOrDefault()?.Id
            ?? throw new InvalidOperationException($"The message {internetId} is not in the mailbox {reply.Mailbox}: Graph can only reply from the mailbox that holds the original.");
    }

    /// <summary>Sift's draft or sent reply with this key, anywhere in the mailbox (Drafts, Outbox, Sent Items).</summary>
    private async Task<Message?> FindAsync(OutgoingReply reply, CancellationToken cancellationToken)
    {
        var page = await CallAsync("look for the reply", () => graph.Client.Users[reply.Mailbox].Messages.GetAsync(
            request =>
            {
                request.QueryParameters.Filter = $"singleValueExtendedProperties/Any(ep: ep/id eq '{KeyPropertyId}' and ep/value eq '{Quote(reply.IdempotencyKey)}')";
                request.QueryParameters.Select = FoundFields;
            },
            cancellationToken));
        var found = page?.Value ?? [];

        // Sent wins over a draft: a sent reply's draft is gone once Exchange moved it to Sent Items.
        return found.FirstOrDefault(m => m.IsDraft == false) ?? found.FirstOrDefault();
    }

    private SendReceipt Receipt(Message sent) => new(Name, sent.Id ?? string.Empty, sent.SentDateTime ?? time.GetUtcNow());

    private static Recipient Recipient(EmailAddress address) =>
        new() { EmailAddress = new Microsoft.Graph.Models.EmailAddress { Address = address.Address, Name = address.Name } };

    private static string Quote(string value) => value.Replace("'", "''", StringComparison.Ordinal);

    /// <summary>Throttling and outages (429, 503) become <see cref="TransportRetryException"/> with Graph's Retry-After.</summary>
    private async Task<T> CallAsync<T>(string what, Func<Task<T>> call)
    {
        try
        {
            return await call();
        }
        catch (ApiException ex) when (ex.ResponseStatusCode is (int)HttpStatusCode.TooManyRequests or (int)HttpStatusCode.ServiceUnavailable)
        {
            var delay = graph.RetryAfter(ex);
            throw new TransportRetryException($"Graph answered {ex.ResponseStatusCode} to {what}; retry after {delay?.TotalSeconds ?? 0:0} s.", delay, ex);
        }
    }
}
