using Microsoft.AspNetCore.Http.HttpResults;
using Sift.Ingestion;

namespace Sift.Api;

/// <summary>
/// What ingestion could not turn into messages: jobs that failed on every attempt (dead) and input refused on sight
/// (rejected: a forged notification, an unparsable message), with their reasons; dead jobs can be retried.
/// </summary>
internal static class IngestApi
{
    private static readonly string[] States = [IngestJobState.Dead, IngestJobState.Rejected, IngestJobState.Queued];

    public static IEndpointRouteBuilder MapIngestApi(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/ingest/jobs").AddEndpointFilter<ApiKeyFilter>().WithTags("ingest");
        group.MapGet("/", ListAsync);
        group.MapPost("/{id:guid}/retry", RetryAsync);
        return app;
    }

    private static async Task<Results<Ok<IngestJobList>, ValidationProblem>> ListAsync(
        IngestJobs jobs, string? state, int? limit, CancellationToken cancellationToken)
    {
        state ??= IngestJobState.Dead;
        if (!States.Contains(state, StringComparer.Ordinal))
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["state"] = [$"'{state}' is not a listable state: use {string.Join(", ", States)}."] },
                title: "The request is invalid");
        }

        if (limit is < 1 or > 500)
        {
            return TypedResults.ValidationProblem(
                new Dictionary<string, string[]> { ["limit"] = ["limit must be between 1 and 500."] },
                title: "The request is invalid");
        }

        return TypedResults.Ok(new IngestJobList(await jobs.ListAsync(state, limit ?? 100, cancellationToken)));
    }

    private static async Task<Results<Accepted<CommandAccepted>, ProblemHttpResult>> RetryAsync(
        Guid id, IngestJobs jobs, CancellationToken cancellationToken) =>
        await jobs.RetryAsync(id, cancellationToken)
            ? TypedResults.Accepted("/api/ingest/jobs?state=queued", new CommandAccepted(id, "requeued"))
            : TypedResults.Problem(
                title: "Not a dead ingest job",
                detail: $"No dead ingest job has id {id}: only jobs that failed on every attempt can be retried.",
                statusCode: StatusCodes.Status409Conflict);
}
