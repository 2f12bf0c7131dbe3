namespace Sift.Ingestion;

public sealed class IngestErrorsTests
{
    [Theory]
    [InlineData("54000", true)] // program_limit_exceeded: an index row too large
    [InlineData("22021", true)] // character_not_in_repertoire
    [InlineData("40001", false)] // serialization_failure: retry
    [InlineData("57P01", false)] // admin_shutdown: retry
    public void PostgreSQL_data_and_limit_errors_are_permanent_and_the_rest_transient(string sqlState, bool permanent)
    {
        var error = new Npgsql.PostgresException("test", "ERROR", "ERROR", sqlState);

        Assert.Equal(permanent, IngestErrors.IsPermanent(error));
        Assert.Equal(permanent, IngestErrors.IsPermanent(new InvalidOperationException("wrapped", error)));
    }

    [Fact]
    public void Outages_are_transient_and_never_permanent()
    {
        Exception[] outages =
        [
            new HttpRequestException("connection refused"),
            new TimeoutException(),
            new Npgsql.NpgsqlException("the database is gone"),
            new Npgsql.PostgresException("shutting down", "FATAL", "FATAL", "57P01"),
            new InvalidOperationException("wrapped", new IOException("broken pipe")),
        ];

        Assert.All(outages, e => Assert.True(IngestErrors.IsTransient(e) && !IngestErrors.IsPermanent(e), e.Message));
    }

    [Fact]
    public void A_data_error_is_permanent_not_transient()
    {
        var error = new Npgsql.PostgresException("index row size exceeds maximum", "ERROR", "ERROR", "54000");

        Assert.True(IngestErrors.IsPermanent(error));
        Assert.False(IngestErrors.IsTransient(error));
    }
}
