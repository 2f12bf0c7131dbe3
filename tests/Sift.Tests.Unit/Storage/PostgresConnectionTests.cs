namespace Sift.Storage;

public sealed class PostgresConnectionTests
{
    [Fact]
    public void Statements_are_prepared_automatically_unless_the_connection_string_says_otherwise()
    {
        Assert.Equal(64, SiftDatabase.Tuned("Host=db;Username=sift").MaxAutoPrepare);
        Assert.Equal(0, SiftDatabase.Tuned("Host=db;Username=sift;Max Auto Prepare=0").MaxAutoPrepare);
        Assert.Equal(10, SiftDatabase.Tuned("Host=db;Username=sift;MaxAutoPrepare=10").MaxAutoPrepare);
    }

    [Fact]
    public void Pooled_connections_are_not_reset_unless_the_connection_string_says_otherwise()
    {
        Assert.True(SiftDatabase.Tuned("Host=db;Username=sift").NoResetOnClose);
        Assert.False(SiftDatabase.Tuned("Host=db;Username=sift;No Reset On Close=false").NoResetOnClose);
        Assert.False(SiftDatabase.Tuned("Host=db;Username=sift;NoResetOnClose=false").NoResetOnClose);
    }
}
