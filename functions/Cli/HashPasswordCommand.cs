using Sift.Security;

namespace Sift.Cli;

/// <summary>
/// <c>sift hash-password</c>: reads a password from standard input (one line) and prints its hash for
/// <c>Sift:Console:LocalAdmin:PasswordHash</c>, so the password itself never sits in a configuration file.
/// </summary>
internal static class HashPasswordCommand
{
    public const int MinimumLength = 12;

    public static async Task<int> RunAsync(TextReader input, TextWriter output, TextWriter error)
    {
        var password = (await input.ReadLineAsync())?.TrimEnd('\r');
        if (string.IsNullOrEmpty(password) || password.Length < MinimumLength)
        {
            await error.WriteLineAsync($"Give the password on standard input, at least {MinimumLength} characters (e.g. `read -rs P && echo \"$P\" | sift hash-password`).");
            return 2;
        }

        await output.WriteLineAsync(LocalPasswords.Hash(password));
        return 0;
    }
}
