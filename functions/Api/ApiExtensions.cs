namespace Sift.Api;

internal static class ApiExtensions
{
    public static IHostApplicationBuilder AddSiftApi(this IHostApplicationBuilder builder)
    {
        builder.Services.AddSingleton<MessageQueries>();
        builder.Services.AddSingleton<ApiKeyFilter>();
        return builder;
    }
}
