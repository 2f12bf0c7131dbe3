using System.Text.Json.Nodes;

namespace Sift.Tests.Unit.Approvals.Slack;

/// <summary>Slack's documented payloads in ../shared/fixtures/slack; tests that need them skip where the folder is absent.</summary>
internal static class SlackFixtures
{
    public static string Folder => Path.GetFullPath(Path.Combine(RepoPaths.Root, "..", "shared", "fixtures", "slack"));

    public static string Read(string name)
    {
        var path = Path.Combine(Folder, name);
        if (!File.Exists(path))
        {
            Assert.Skip($"../shared/fixtures/slack/{name} is not present (looked for {path}).");
        }

        return File.ReadAllText(path);
    }

    public static JsonObject Json(string name) => JsonNode.Parse(Read(name))!.AsObject();
}
