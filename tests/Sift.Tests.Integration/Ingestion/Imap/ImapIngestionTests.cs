using System.Diagnostics;
using System.Net.Http.Json;
using Dapper;
using Microsoft.Extensions.DependencyInjection;
using Sift.Api;
using Sift.Ingestion;
using Sift.Ingestion.Imap;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Ingestion.Imap;

/// <summary>
/// The IMAP listener against a real Dovecot (started by test.sh): mail delivered by APPEND is ingested once, in order,
/// through IDLE or polling, across restarts, folder recreation, broken messages, outages and several workers.
/// </summary>
public sealed class ImapIngestionTests
{
    private const string Support = "support@contoso.example";
    private const string Sales = "sales@contoso.example";
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(90);

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Messages_already_in_the_folder_are_ingested_with_workflows_started_and_left_unread(string engine)
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        var validity = await imap.AppendAsync("support", folder, TestMail.Raw($"before-1-{folder}@initech.example"));
        await imap.AppendAsync("support", folder, TestMail.Raw($"before-2-{folder}@initech.example", subject: "Pricing for 40 seats?", body: "What would 40 seats cost per year?"));
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, imap.Account(0, "support", "support", folder, Support));

        var messages = await WaitForMessagesAsync(host, Support, 2);
        await WaitAsync(host, "workflows to run", async () =>
            (await ListAsync(host, Support)).All(m => m.WorkflowState is WorkflowState.Completed or WorkflowState.Waiting));

        await WaitForStatusAsync(host, "support", s => s.LastUid == 2 && s.State == "idle");
        Assert.Equal(["Can we schedule a demo meeting?", "Pricing for 40 seats?"], messages.Select(m => m.Subject).Order(StringComparer.Ordinal));
        Assert.Equal($"{validity}:2", await CursorAsync(host, "support"));
        // Read with BODY.PEEK[] from a folder opened read-only: the user's unread mail stays unread.
        Assert.Equal([false, false], await imap.SeenFlagsAsync("support", folder));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_message_delivered_while_the_listener_is_in_IDLE_is_ingested(string engine)
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, imap.Account(0, "support", "support", folder, Support));
        await WaitForStatusAsync(host, "support", s => s.State == "idle");

        await imap.AppendAsync("support", folder, TestMail.Raw($"idle-1-{folder}@initech.example"));

        var message = Assert.Single(await WaitForMessagesAsync(host, Support, 1));
        Assert.Equal("lena@initech.example", message.Sender);
        var status = await WaitForStatusAsync(host, "support", s => s.Ingested == 1 && s.State == "idle");
        Assert.True(status.Connected);
        Assert.Equal(1u, status.LastUid);
        Assert.Null(status.LastError);
    }

    [Fact]
    public async Task Polling_finds_new_mail_when_IDLE_is_off()
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, imap.Account(0, "support", "support", folder, Support, useIdle: false));
        await WaitForStatusAsync(host, "support", s => s.State == "polling");

        await imap.AppendAsync("support", folder, TestMail.Raw($"poll-1-{folder}@initech.example"));
        await imap.AppendAsync("support", folder, TestMail.Raw($"poll-2-{folder}@initech.example"));

        await WaitForMessagesAsync(host, Support, 2);
        var status = await WaitForStatusAsync(host, "support", s => s.Ingested == 2 && s.State == "polling");
        Assert.True(status.Connected);
    }

    [Fact]
    public async Task When_asked_the_listener_flags_ingested_messages_seen_and_moves_them()
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        var done = await imap.CreateFolderAsync("support");
        await imap.AppendAsync("support", folder, TestMail.Raw($"move-1-{folder}@initech.example"));
        await imap.AppendAsync("support", folder, TestMail.Raw($"move-2-{folder}@initech.example"));
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var account = imap.Account(0, "support", "support", folder, Support);
        account["Sift:Imap:Accounts:0:MarkSeen"] = "true";
        account["Sift:Imap:Accounts:0:MoveTo"] = done;
        await using var host = Host(database, account);

        await WaitForMessagesAsync(host, Support, 2);
        await WaitForStatusAsync(host, "support", s => s.LastUid == 2 && s.State == "idle");

        Assert.Empty(await imap.SeenFlagsAsync("support", folder));
        Assert.Equal([true, true], await imap.SeenFlagsAsync("support", done));
    }

    [Fact]
    public async Task With_SkipExisting_only_mail_arriving_after_the_first_connection_is_ingested()
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        var validity = await imap.AppendAsync("support", folder, TestMail.Raw($"old-1-{folder}@initech.example", subject: "Old mail"));
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        var account = imap.Account(0, "support", "support", folder, Support);
        account["Sift:Imap:Accounts:0:SkipExisting"] = "true";
        await using var host = Host(database, account);
        await WaitForStatusAsync(host, "support", s => s.State == "idle");
        Assert.Equal($"{validity}:1", await CursorAsync(host, "support"));

        await imap.AppendAsync("support", folder, TestMail.Raw($"new-1-{folder}@initech.example", subject: "New mail"));

        Assert.Equal("New mail", Assert.Single(await WaitForMessagesAsync(host, Support, 1)).Subject);
    }

    [Fact]
    public async Task A_server_without_IDLE_is_polled()
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        await using var proxy = new TcpProxy(imap.Port, hideCapability: "IDLE");
        proxy.Start();
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, imap.Account(0, "support", "support", folder, Support, port: proxy.Port, useIdle: true));
        await WaitForStatusAsync(host, "support", s => s.State == "polling");

        await imap.AppendAsync("support", folder, TestMail.Raw($"no-idle-1-{folder}@initech.example"));

        await WaitForMessagesAsync(host, Support, 1);
        Assert.Equal("polling", (await WaitForStatusAsync(host, "support", s => s.Ingested == 1 && s.State == "polling")).State);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_restart_resumes_after_the_stored_UID_and_reads_nothing_twice(string engine)
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        var validity = await imap.AppendAsync("support", folder, TestMail.Raw($"restart-1-{folder}@initech.example"));
        await imap.AppendAsync("support", folder, TestMail.Raw($"restart-2-{folder}@initech.example"));
        await using var database = await TestDatabase.CreateAsync(engine);
        var account = imap.Account(0, "support", "support", folder, Support);
        await using (var first = Host(database, account))
        {
            await WaitForStatusAsync(first, "support", s => s.Ingested == 2 && s.LastUid == 2 && s.State == "idle");
        }

        await imap.AppendAsync("support", folder, TestMail.Raw($"restart-3-{folder}@initech.example"));
        await using var second = Host(database, account);

        await WaitForMessagesAsync(second, Support, 3);
        var status = await WaitForStatusAsync(second, "support", s => s.Ingested == 1 && s.State == "idle");
        // Only the new UID was read: the first two were not even offered to the dedupe.
        Assert.Equal(0, status.Duplicates);
        Assert.Equal($"{validity}:3", await CursorAsync(second, "support"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task A_new_UIDVALIDITY_reads_the_folder_again_without_duplicates(string engine)
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        var first = TestMail.Raw($"uv-1-{folder}@initech.example");
        var second = TestMail.Raw($"uv-2-{folder}@initech.example");
        var oldValidity = await imap.AppendAsync("support", folder, first);
        await imap.AppendAsync("support", folder, second);
        await using var database = await TestDatabase.CreateAsync(engine);
        var account = imap.Account(0, "support", "support", folder, Support);
        account["Sift:Imap:Accounts:0:IdleRefresh"] = "00:00:01";
        await using var host = Host(database, account);
        await WaitForStatusAsync(host, "support", s => s.Ingested == 2 && s.State == "idle");

        // Deleted and created again under the listener: the same two messages and a new one, under new UIDs.
        await imap.DeleteFolderAsync("support", folder);
        await imap.CreateFolderAsync("support", folder);
        await imap.AppendAsync("support", folder, first);
        await imap.AppendAsync("support", folder, second);
        var newValidity = await imap.AppendAsync("support", folder, TestMail.Raw($"uv-3-{folder}@initech.example"));

        var status = await WaitForStatusAsync(host, "support", s => s.UidValidity == newValidity && s.LastUid == 3 && s.State == "idle");
        Assert.NotEqual(oldValidity, newValidity);
        Assert.Equal(3, status.Ingested);
        Assert.Equal(2, status.Duplicates);
        Assert.Equal(3, (await ListAsync(host, Support)).Count);
        Assert.Equal($"{newValidity}:3", await CursorAsync(host, "support"));
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task An_unparsable_message_is_recorded_as_rejected_and_the_listener_goes_on(string engine)
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        // No From, no Message-ID: nothing Sift could answer or dedupe.
        var validity = await imap.AppendAsync("support", folder, "Subject: broken\r\nX-Note: no sender\r\n\r\nnothing here\r\n"u8.ToArray());
        await imap.AppendAsync("support", folder, TestMail.Raw($"after-broken-{folder}@initech.example"));
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = Host(database, imap.Account(0, "support", "support", folder, Support));

        await WaitForMessagesAsync(host, Support, 1);
        var status = await WaitForStatusAsync(host, "support", s => s.Rejected == 1 && s.Ingested == 1 && s.State == "idle");
        var rejected = Assert.Single(await RejectionsAsync(host));

        Assert.Equal("imap", rejected.Source);
        Assert.Equal(Support, rejected.Mailbox);
        Assert.Contains("UID 1", rejected.LastError, StringComparison.Ordinal);
        Assert.Contains("From", rejected.LastError, StringComparison.Ordinal);
        Assert.Contains($"\"uid\":1", rejected.Payload, StringComparison.Ordinal);
        Assert.Equal(2u, status.LastUid);
        Assert.Equal($"{validity}:2", await CursorAsync(host, "support"));
    }

    [Fact]
    public async Task Two_accounts_are_watched_at_once_and_filed_under_their_own_mailboxes()
    {
        var imap = TestImap.Require();
        var supportFolder = await imap.CreateFolderAsync("support");
        var salesFolder = await imap.CreateFolderAsync("sales");
        await imap.AppendAsync("support", supportFolder, TestMail.Raw($"two-support-{supportFolder}@initech.example"));
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Postgres);
        var settings = imap.Account(0, "support", "support", supportFolder, Support);
        foreach (var (key, value) in imap.Account(1, "sales", "sales", salesFolder, Sales))
        {
            settings[key] = value;
        }

        await using var host = Host(database, settings);
        await WaitForStatusAsync(host, "sales", s => s.State == "idle");
        await imap.AppendAsync("sales", salesFolder, TestMail.Raw($"two-sales-{salesFolder}@initech.example", subject: "Quote for 200 licences"));

        Assert.Equal("Can we schedule a demo meeting?", Assert.Single(await WaitForMessagesAsync(host, Support, 1)).Subject);
        Assert.Equal("Quote for 200 licences", Assert.Single(await WaitForMessagesAsync(host, Sales, 1)).Subject);
        Assert.Equal(["sales", "support"], (await StatusAsync(host)).Select(s => s.Name));
    }

    [Fact]
    public async Task The_listener_retries_with_backoff_while_the_server_is_away_and_reconnects_when_it_returns()
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        await imap.AppendAsync("support", folder, TestMail.Raw($"away-1-{folder}@initech.example"));
        await using var proxy = new TcpProxy(imap.Port);
        await using var database = await TestDatabase.CreateAsync(TestDatabase.Sqlite);
        await using var host = Host(database, imap.Account(0, "support", "support", folder, Support, port: proxy.Port));

        // Nothing listens on the port yet: connection refused, again and again, each time after a longer wait.
        var failing = await WaitForStatusAsync(host, "support", s => s.Failures >= 3);
        Assert.False(failing.Connected);
        Assert.NotNull(failing.LastError);
        Assert.Empty(await ListAsync(host, Support));

        proxy.Start();
        await WaitForMessagesAsync(host, Support, 1);
        await WaitForStatusAsync(host, "support", s => s.State == "idle" && s.Failures == 0);

        // The connection drops in the middle of IDLE: the listener reconnects and picks up what arrived meanwhile.
        proxy.DropAll();
        await imap.AppendAsync("support", folder, TestMail.Raw($"away-2-{folder}@initech.example"));
        await WaitForMessagesAsync(host, Support, 2);
        var status = await WaitForStatusAsync(host, "support", s => s.Ingested == 2 && s.State == "idle");
        Assert.True(status.Connected);
    }

    [Theory]
    [InlineData(TestDatabase.Sqlite)]
    [InlineData(TestDatabase.Postgres)]
    public async Task Only_one_worker_listens_to_an_account_and_another_takes_over_when_it_stops(string engine)
    {
        var imap = TestImap.Require();
        var folder = await imap.CreateFolderAsync("support");
        await using var database = await TestDatabase.CreateAsync(engine);
        var account = imap.Account(0, "support", "support", folder, Support);
        await using var first = Host(database, account);
        await WaitForStatusAsync(first, "support", s => s.State == "idle");
        await using var second = Host(database, account);
        await WaitForStatusAsync(second, "support", s => s.State == "standby");

        await imap.AppendAsync("support", folder, TestMail.Raw($"lease-1-{folder}@initech.example"));
        await WaitForMessagesAsync(second, Support, 1);
        Assert.Equal(1, (await WaitForStatusAsync(first, "support", s => s.Ingested == 1 && s.LastUid == 1 && s.State == "idle")).Ingested);
        Assert.Equal("standby", (await StatusAsync(second)).Single().State);

        await first.DisposeAsync();
        await WaitForStatusAsync(second, "support", s => s.State == "idle");
        await imap.AppendAsync("support", folder, TestMail.Raw($"lease-2-{folder}@initech.example"));
        await WaitForMessagesAsync(second, Support, 2);
        var status = await WaitForStatusAsync(second, "support", s => s.Ingested == 1);
        Assert.Equal(0, status.Duplicates);
    }

    private static SiftTestHost Host(TestDatabase database, Dictionary<string, string?> settings)
    {
        settings["Sift:Roles"] = "api,worker";
        settings["Sift:Imap:ReconnectDelay"] = "00:00:00.200";
        settings["Sift:Imap:MaxReconnectDelay"] = "00:00:01";
        settings["Sift:Imap:LeaseDuration"] = "00:00:03";
        var host = new SiftTestHost(database, settings);
        _ = host.Services; // starts the host, and with it the listeners
        return host;
    }

    private static async Task<IReadOnlyList<ImapAccountStatus>> StatusAsync(SiftTestHost host) =>
        (await host.CreateClient().GetFromJsonAsync<List<ImapAccountStatus>>(new Uri("/api/ingest/imap", UriKind.Relative)))!;

    private static async Task<IReadOnlyList<MessageSummary>> ListAsync(SiftTestHost host, string mailbox) =>
        (await host.CreateClient().GetFromJsonAsync<MessagePage>(new Uri($"/api/messages?mailbox={Uri.EscapeDataString(mailbox)}", UriKind.Relative)))!.Items;

    // Read directly: IngestJobs.ListAsync cannot map its rows on SQLite (Attempt comes back as a long, ids and instants as text).
    private static async Task<IReadOnlyList<Rejection>> RejectionsAsync(SiftTestHost host)
    {
        var database = host.Services.GetRequiredService<SiftDatabase>();
        await using var connection = await database.OpenAsync(CancellationToken.None);
        return (await connection.QueryAsync<Rejection>(
            "SELECT source AS Source, mailbox AS Mailbox, payload AS Payload, last_error AS LastError FROM ingest_jobs WHERE state = @state",
            new { state = IngestJobState.Rejected })).AsList();
    }

    private sealed record Rejection(string Source, string Mailbox, string Payload, string LastError);

    private static Task<string?> CursorAsync(SiftTestHost host, string account) =>
        host.Services.GetRequiredService<IngestCursors>().GetAsync("imap", account, CancellationToken.None);

    private static async Task<ImapAccountStatus> WaitForStatusAsync(SiftTestHost host, string account, Func<ImapAccountStatus, bool> condition)
    {
        ImapAccountStatus? last = null;
        await WaitAsync(host, $"IMAP account '{account}' to reach the expected status", async () =>
        {
            last = (await StatusAsync(host)).SingleOrDefault(s => s.Name == account);
            return last is not null && condition(last);
        }, () => $"last status: {last}");
        return last!;
    }

    private static async Task<IReadOnlyList<MessageSummary>> WaitForMessagesAsync(SiftTestHost host, string mailbox, int count)
    {
        IReadOnlyList<MessageSummary> messages = [];
        await WaitAsync(host, $"{count} message(s) in {mailbox}", async () => (messages = await ListAsync(host, mailbox)).Count >= count);
        Assert.Equal(count, messages.Count);
        return messages;
    }

    private static async Task WaitAsync(SiftTestHost host, string what, Func<Task<bool>> condition, Func<string>? detail = null)
    {
        var clock = Stopwatch.StartNew();
        while (!await condition())
        {
            if (clock.Elapsed > Patience)
            {
                var status = string.Join("; ", (await StatusAsync(host)).Select(s => s.ToString()));
                Assert.Fail($"Gave up waiting for {what} after {Patience.TotalSeconds} s. {detail?.Invoke()} Listeners: {status}");
            }

            await Task.Delay(50);
        }
    }
}
