namespace Sift.Storage;

public sealed class PostgresConnectionTests
{
    [Fact]
    public void Statements_are_prepared_automatically_unless_the_connection_string_says_otherwise()
    {
        Assert.Equal(64, SiftDatabase.WithAutoPrepare("Host=db;Username=sift").MaxAutoPrepare);
        Assert.Equal(0, SiftDatabase.WithAutoPrepare("Host=db;Username=sift;Max Auto Prepare=0").MaxAutoPrepare);
        Assert.Equal(10, SiftDatabase.WithAutoPrepare("Host=db;Username=sift;MaxAutoPrepare=10").MaxAutoPrepare);
    }
}
