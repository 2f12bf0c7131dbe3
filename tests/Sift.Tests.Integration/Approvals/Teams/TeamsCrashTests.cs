using System.Net;
using System.Text.RegularExpressions;
using Sift.Storage;
using Sift.Tests.Integration.Infrastructure;

namespace Sift.Tests.Integration.Approvals.Teams;

/// <summary>
/// A worker process killed around the Teams post, then restarted. A Workflows webhook cannot be asked whether a card
/// arrived, so a kill between its 202 and the record posts a second card: the test shows that this is harmless (the
/// message takes one decision, and the other card's links are refused).
/// </summary>
public sealed partial class TeamsCrashTests
{
    [Theory]
    [InlineData(TestDatabase.Sqlite, "after-commit:before:teams-post", 1)]
    [InlineData(TestDatabase.Sqlite, "after-perform:teams-post", 2)]
    [InlineData(TestDatabase.Postgres, "after-perform:teams-post", 2)]
    public async Task A_worker_killed_around_the_teams_post_leaves_cards_whose_links_decide_once(string engine, string crashAt, int cards)
    {
        await using var teams = await FakeTeamsWebhook.StartAsync();
        await using var database = await TestDatabase.CreateAsync(engine);
        await using var host = new SiftTestHost(database, teams.Settings());
        var id = await host.IngestAsync(TestMail.Sample("01-support.eml"));

        await using (var crashing = SiftProcess.StartWorker(database, crashAt, teams.Settings()))
        {
            Assert.True(await crashing.WaitForExitAsync(TimeSpan.FromSeconds(60)), $"the worker did not reach {crashAt}");
            Assert.Equal(137, crashing.ExitCode); // 128 + SIGKILL: killed, not a clean exit
        }

        Assert.Equal(cards - 1, teams.Cards.Count);
        await using (SiftProcess.StartWorker(database, settings: teams.Settings()))
        {
            await host.WaitForAsync(id, d => d.Workflow.State == "waiting", timeoutSeconds: 60);
        }

        Assert.Equal(cards, teams.Cards.Count);
        var waiting = await host.GetAsync(id);
        Assert.Equal(MessageStatus.AwaitingReview, waiting.Status);
        Assert.Single(waiting.Audit, a => a.Step == "teams-post");

        var client = host.CreateClient();
        var first = FakeTeamsWebhook.Buttons(teams.Cards.First());
        var page = await client.GetStringAsync(new Uri(first["Approve"].PathAndQuery, UriKind.Relative));
        var token = WebUtility.HtmlDecode(AntiforgeryField().Match(page).Groups[1].Value);
        using (var approve = await client.PostAsync(new Uri(first["Approve"].PathAndQuery, UriKind.Relative), new FormUrlEncodedContent(new Dictionary<string, string> { ["by"] = "Dana", ["__RequestVerificationToken"] = token })))
        {
            Assert.Equal(HttpStatusCode.OK, approve.StatusCode);
        }

        // Every other link, on this card or the duplicate, now meets a decided message.
        foreach (var card in teams.Cards.Skip(1))
        {
            using var other = await client.GetAsync(new Uri(FakeTeamsWebhook.Buttons(card)["Approve"].PathAndQuery, UriKind.Relative));
            Assert.Equal(HttpStatusCode.Conflict, other.StatusCode);
        }

        await host.RunWorkflowsAsync();
        Assert.Equal(MessageStatus.Sent, (await host.GetAsync(id)).Status);
        Assert.Single(Directory.GetFiles(database.OutboxFolder, "*.eml"));
    }

    [GeneratedRegex("name=\"__RequestVerificationToken\" value=\"([^\"]+)\"")]
    private static partial Regex AntiforgeryField();
}
