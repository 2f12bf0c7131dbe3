using System.Globalization;
using System.Net.Http.Headers;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Sift.Api;
using Sift.Mail;
using Sift.Storage;

namespace Sift.Cli;

/// <summary>
/// <c>sift demo</c>: starts Sift on the embedded default in a fresh folder, posts the sample mailbox through the HTTP API,
/// lets the workers triage it, approves the drafts waiting for review, and prints what happened to each message.
/// </summary>
internal static class DemoCommand
{
    public const string Mailbox = "support@contoso.example";
    private static readonly string[] Settled = [MessageStatus.Received, MessageStatus.Processing];

    public static void Configure(WebApplicationBuilder builder)
    {
        var dataDirectory = Path.GetFullPath(Path.Combine(builder.Configuration["Sift:DataDirectory"] ?? "./data", "demo"));
        if (Directory.Exists(dataDirectory))
        {
            Directory.Delete(dataDirectory, recursive: true);
        }

        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Sift:DataDirectory"] = dataDirectory,
            ["ConnectionStrings:Postgres"] = string.Empty,
            ["ConnectionStrings:Redis"] = string.Empty,
            ["Sift:ApiKey"] = string.Empty,
            ["Urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
        });
    }

    public static async Task<int> RunAsync(WebApplication app)
    {
        await app.StartAsync();
        try
        {
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var http = new HttpClient { BaseAddress = new Uri(address) };
            var folder = Path.Combine(AppContext.BaseDirectory, "samples", "demo-mailbox");
            var files = Directory.GetFiles(folder, "*.eml").Order(StringComparer.Ordinal).ToList();
            Console.WriteLine($"Sift demo: {files.Count} messages from {folder}");
            Console.WriteLine($"Database: {app.Services.GetRequiredService<SiftDatabase>().Description}");
            Console.WriteLine();

            var posted = new List<(string File, Guid Id)>();
            foreach (var file in files)
            {
                using var content = new ByteArrayContent(await File.ReadAllBytesAsync(file));
                content.Headers.ContentType = new MediaTypeHeaderValue("message/rfc822");
                using var response = await http.PostAsync(new Uri($"api/messages?mailbox={Uri.EscapeDataString(Mailbox)}", UriKind.Relative), content);
                response.EnsureSuccessStatusCode();
                var ingested = (await response.Content.ReadFromJsonAsync(ApiJsonContext.Default.IngestResponse))!;
                posted.Add((Path.GetFileName(file), ingested.Id));
            }

            var triaged = new List<(string File, MessageDetail Detail)>();
            foreach (var (file, id) in posted)
            {
                triaged.Add((file, await WaitAsync(http, id, d => !Settled.Contains(d.Status))));
            }

            var final = new List<(string File, MessageDetail Triaged, MessageDetail Final)>();
            foreach (var (file, detail) in triaged)
            {
                if (detail.Status == MessageStatus.AwaitingReview)
                {
                    using var response = await http.PostAsJsonAsync(
                        new Uri($"api/messages/{detail.Id}/decision", UriKind.Relative),
                        new DecisionRequest("approve", null, "demo-reviewer"),
                        ApiJsonContext.Default.DecisionRequest);
                    response.EnsureSuccessStatusCode();
                    final.Add((file, detail, await WaitAsync(http, detail.Id, d => d.Status != MessageStatus.AwaitingReview)));
                }
                else
                {
                    final.Add((file, detail, detail));
                }
            }

            PrintTable(final);
            var outbox = app.Services.GetRequiredService<OutboxFolderTransport>().Folder;
            var sent = Directory.Exists(outbox) ? Directory.GetFiles(outbox, "*.eml").Length : 0;
            Console.WriteLine();
            Console.WriteLine($"Replies written (dry run) to {outbox}: {sent}");
            Console.WriteLine("Each message's decision, draft and audit trail: GET /api/messages/{id} while `dotnet run --project functions` serves.");

            var paths = final.Select(f => f.Triaged.Decision.Route).ToHashSet(StringComparer.Ordinal);
            string[] expected = ["auto", "review", "human", "filtered"];
            var missing = expected.Where(p => !paths.Contains(p)).ToList();
            var dead = final.Count(f => f.Final.Status == MessageStatus.DeadLettered);
            if (missing.Count > 0 || dead > 0)
            {
                await Console.Error.WriteLineAsync($"Demo incomplete: paths not reached: [{string.Join(", ", missing)}], dead-lettered: {dead}.");
                return 1;
            }

            Console.WriteLine("Every path was reached: auto-send, review, human and filtered.");
            return 0;
        }
        finally
        {
            await app.StopAsync();
        }
    }

    private static async Task<MessageDetail> WaitAsync(HttpClient http, Guid id, Func<MessageDetail, bool> done)
    {
        var deadline = Environment.TickCount64 + 30_000;
        while (true)
        {
            var detail = (await http.GetFromJsonAsync(new Uri($"api/messages/{id}", UriKind.Relative), ApiJsonContext.Default.MessageDetail))!;
            if (done(detail) || detail.Status == MessageStatus.DeadLettered)
            {
                return detail;
            }

            if (Environment.TickCount64 > deadline)
            {
                throw new TimeoutException($"Message {id} is still '{detail.Status}' after 30 s.");
            }

            await Task.Delay(50);
        }
    }

    private static void PrintTable(List<(string File, MessageDetail Triaged, MessageDetail Final)> rows)
    {
        string[] header = ["mail", "intent", "urgency", "conf", "path", "owner", "status", "why"];
        var table = rows.Select(r => new[]
        {
            r.File,
            r.Triaged.Classification.Intent ?? "-",
            r.Triaged.Classification.Urgency ?? "-",
            r.Triaged.Classification.Confidence?.ToString("0.00", CultureInfo.InvariantCulture) ?? "-",
            r.Triaged.Decision.Route ?? "-",
            r.Final.Classification.Owner ?? "-",
            r.Final.Status == r.Triaged.Status ? r.Final.Status : $"{r.Triaged.Status} -> {r.Final.Status}",
            Why(r.Triaged),
        }).ToList();
        var widths = header.Select((h, i) => Math.Max(h.Length, table.Max(row => row[i].Length))).ToArray();
        widths[^1] = header[^1].Length;
        Console.WriteLine(string.Join("  ", header.Select((h, i) => h.PadRight(widths[i]))));
        Console.WriteLine(string.Join("  ", widths.Select(w => new string('-', w))));
        foreach (var row in table)
        {
            Console.WriteLine(string.Join("  ", row.Select((cell, i) => cell.PadRight(widths[i]))));
        }
    }

    private static string Why(MessageDetail detail)
    {
        if (detail.Decision.FilterReason is { } filtered)
        {
            return filtered;
        }

        // The rule that set the final path says why; intent-autonomy alone when nothing overrode it.
        var decisive = detail.Decision.Explanation.LastOrDefault(m => m.Effect == detail.Decision.Route && m.Rule != "dry-run");
        return decisive is null ? string.Empty : $"{decisive.Rule}: {decisive.Reason}";
    }
}
