using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace Sift.Storage;

public static class StorageExtensions
{
    /// <summary>
    /// PostgreSQL when <c>ConnectionStrings:Postgres</c> is set, else SQLite under <c>Sift:DataDirectory</c>;
    /// Redis when <c>ConnectionStrings:Redis</c> is set.
    /// </summary>
    public static IHostApplicationBuilder AddSiftStorage(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<StorageOptions>().BindConfiguration(StorageOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton(TimeProvider.System);
        builder.Services.AddSingleton(sp =>
        {
            var postgres = sp.GetRequiredService<IConfiguration>().GetConnectionString("Postgres");
            return string.IsNullOrWhiteSpace(postgres)
                ? SiftDatabase.ForSqlite(sp.GetRequiredService<IOptions<StorageOptions>>().Value.DataDirectory)
                : SiftDatabase.ForPostgres(postgres);
        });
        builder.Services.AddSingleton<Migrator>();

        // Connected on first use only: the embedded default never resolves it.
        builder.Services.AddSingleton<IConnectionMultiplexer>(sp => ConnectionMultiplexer.Connect(sp.GetRequiredService<IConfiguration>().GetConnectionString("Redis")!));

        return builder;
    }

    public static bool UsesRedis(this IConfiguration configuration) =>
        !string.IsNullOrWhiteSpace(configuration.GetConnectionString("Redis"));
}
