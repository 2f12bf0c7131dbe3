using Microsoft.AspNetCore.Http.HttpResults;
using Sift.Ingestion.Imap;

namespace Sift.Api;

/// <summary><c>GET /api/ingest/imap</c>: each IMAP listener of this process: connected, last UID, last error.</summary>
internal static class ImapIngestApi
{
    public static IEndpointRouteBuilder MapImapIngestApi(this IEndpointRouteBuilder app)
    {
        app.MapGroup("/api/ingest/imap").AddEndpointFilter<ApiKeyFilter>().WithTags("ingest").MapGet("/", Status);
        return app;
    }

    private static Ok<IReadOnlyList<ImapAccountStatus>> Status(ImapStatusBoard board) => TypedResults.Ok(board.Snapshot());
}
