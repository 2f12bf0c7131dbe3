using Microsoft.Extensions.DependencyInjection;
using Sift.Ingestion;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion;

/// <summary>Single-holder work (an IMAP account, the Graph subscriptions, the Gmail watch) across worker processes.</summary>
public sealed class IngestLeaseTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_lease_has_one_holder_until_it_runs_out_or_is_released(string engine)
    {
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database);
        host.CreateClient().Dispose();
        var leases = host.Services.GetRequiredService<IngestLeases>();
        var ct = TestContext.Current.CancellationToken;

        Assert.True(await leases.TryAcquireAsync("graph:subscriptions", "worker-a", TimeSpan.FromMilliseconds(500), ct));
        Assert.False(await leases.TryAcquireAsync("graph:subscriptions", "worker-b", TimeSpan.FromMinutes(1), ct));
        Assert.True(await leases.TryAcquireAsync("graph:subscriptions", "worker-a", TimeSpan.FromMilliseconds(500), ct));
        Assert.True(await leases.TryAcquireAsync("gmail:watch", "worker-b", TimeSpan.FromMinutes(1), ct));

        // worker-a stops renewing: once its lease ran out, worker-b takes over, and worker-a cannot take it back.
        await Task.Delay(TimeSpan.FromMilliseconds(700), ct);
        Assert.True(await leases.TryAcquireAsync("graph:subscriptions", "worker-b", TimeSpan.FromMinutes(1), ct));
        Assert.False(await leases.TryAcquireAsync("graph:subscriptions", "worker-a", TimeSpan.FromMinutes(1), ct));

        // Released on shutdown: the next worker need not wait.
        await leases.ReleaseAsync("graph:subscriptions", "worker-b", ct);
        Assert.True(await leases.TryAcquireAsync("graph:subscriptions", "worker-a", TimeSpan.FromMinutes(1), ct));
    }
}
