using System.Globalization;
using MailKit;
using MailKit.Net.Imap;
using MailKit.Security;
using MimeKit;

namespace Sift.Tests.Integration.Infrastructure;

/// <summary>
/// The Dovecot IMAP server that test.sh started (SIFT_TEST_IMAP, e.g. <c>Host=127.0.0.1;Port=57143;Users=support,sales;Password=secret</c>).
/// Each test works in folders of its own, so tests share the server without seeing each other's mail; mail is delivered
/// with IMAP APPEND, as a mail server's delivery would leave it.
/// </summary>
public sealed class TestImap
{
    private TestImap(string host, int port, IReadOnlyList<string> users, string password)
    {
        Host = host;
        Port = port;
        Users = users;
        Password = password;
    }

    public string Host { get; }

    public int Port { get; }

    public IReadOnlyList<string> Users { get; }

    public string Password { get; }

    /// <summary>The server, or skips the test when test.sh did not start one.</summary>
    public static TestImap Require()
    {
        var setting = Environment.GetEnvironmentVariable("SIFT_TEST_IMAP");
        if (string.IsNullOrEmpty(setting))
        {
            Assert.Skip("IMAP is not available: SIFT_TEST_IMAP is not set (./test.sh starts a Dovecot server and sets it).");
        }

        var parts = setting.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)
            .Select(p => p.Split('=', 2))
            .ToDictionary(p => p[0], p => p.Length > 1 ? p[1] : string.Empty, StringComparer.OrdinalIgnoreCase);
        return new TestImap(
            parts.GetValueOrDefault("Host", "127.0.0.1"),
            int.Parse(parts["Port"], CultureInfo.InvariantCulture),
            parts.GetValueOrDefault("Users", "support").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries),
            parts.GetValueOrDefault("Password", "secret"));
    }

    /// <summary>Creates a folder with a fresh name for this test and returns its name.</summary>
    public async Task<string> CreateFolderAsync(string user, string? name = null)
    {
        name ??= $"t{Guid.NewGuid():N}";
        using var client = await ConnectAsync(user);
        var root = await client.GetFolderAsync(client.PersonalNamespaces[0].Path);
        await root.CreateAsync(name, isMessageFolder: true);
        await client.DisconnectAsync(quit: true);
        return name;
    }

    public async Task DeleteFolderAsync(string user, string name)
    {
        using var client = await ConnectAsync(user);
        var folder = await client.GetFolderAsync(name);
        await folder.DeleteAsync();
        await client.DisconnectAsync(quit: true);
    }

    /// <summary>Delivers a raw message into the folder. Returns the folder's UIDVALIDITY.</summary>
    public async Task<uint> AppendAsync(string user, string folderName, byte[] raw)
    {
        using var client = await ConnectAsync(user);
        var folder = await client.GetFolderAsync(folderName);
        using var stream = new MemoryStream(raw);
        // Dovecot answers APPENDUID (UIDPLUS): the new message's UID and the folder's UIDVALIDITY.
        var uid = await folder.AppendAsync(new AppendRequest(await MimeMessage.LoadAsync(stream)));
        await client.DisconnectAsync(quit: true);
        return uid?.Validity ?? throw new InvalidOperationException("The server did not report the appended message's UID.");
    }

    /// <summary>The \Seen flag of every message in the folder, in UID order.</summary>
    public async Task<IReadOnlyList<bool>> SeenFlagsAsync(string user, string folderName)
    {
        using var client = await ConnectAsync(user);
        var folder = await client.GetFolderAsync(folderName);
        await folder.OpenAsync(FolderAccess.ReadOnly);
        var summaries = folder.Count == 0 ? [] : await folder.FetchAsync(0, -1, new FetchRequest(MessageSummaryItems.UniqueId | MessageSummaryItems.Flags));
        await client.DisconnectAsync(quit: true);
        return [.. summaries.OrderBy(s => s.UniqueId.Id).Select(s => s.Flags!.Value.HasFlag(MessageFlags.Seen))];
    }

    /// <summary>Configuration for account number <paramref name="index"/> of a Sift host, watching <paramref name="folder"/>.</summary>
    public Dictionary<string, string?> Account(int index, string name, string user, string folder, string mailbox, int? port = null, bool useIdle = true)
    {
        var at = $"Sift:Imap:Accounts:{index}:";
        return new Dictionary<string, string?>
        {
            [at + "Name"] = name,
            [at + "Host"] = Host,
            [at + "Port"] = (port ?? Port).ToString(CultureInfo.InvariantCulture),
            [at + "Security"] = "None",
            [at + "Username"] = user,
            [at + "Password"] = Password,
            [at + "Folder"] = folder,
            [at + "Mailbox"] = mailbox,
            [at + "UseIdle"] = useIdle ? "true" : "false",
            [at + "PollInterval"] = "00:00:00.250",
        };
    }

    /// <summary>A client logged in as the user (plain IMAP on loopback).</summary>
    public async Task<ImapClient> ConnectAsync(string user)
    {
        var client = new ImapClient();
        await client.ConnectAsync(Host, Port, SecureSocketOptions.None);
        await client.AuthenticateAsync(user, Password);
        return client;
    }
}
