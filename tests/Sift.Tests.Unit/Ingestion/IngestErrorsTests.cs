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
    public void Network_failures_are_transient()
    {
        Assert.False(IngestErrors.IsPermanent(new HttpRequestException("connection refused")));
        Assert.False(IngestErrors.IsPermanent(new TimeoutException()));
    }
}
