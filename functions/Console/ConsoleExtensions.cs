namespace Sift.WebConsole;

internal static class ConsoleExtensions
{
    /// <summary>The review console's services; sign-in itself is <see cref="Security.SecurityExtensions.AddSiftSecurity"/>.</summary>
    public static IHostApplicationBuilder AddSiftConsole(this IHostApplicationBuilder builder)
    {
        builder.Services.AddOptions<ConsoleOptions>().BindConfiguration(ConsoleOptions.Section).ValidateDataAnnotations().ValidateOnStart();
        builder.Services.AddSingleton<ReviewQueue>();
        return builder;
    }
}
