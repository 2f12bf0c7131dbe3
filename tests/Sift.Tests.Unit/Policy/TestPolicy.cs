using System.Text;
using System.Text.Json.Nodes;
using Sift.Classification;
using Sift.Templates;

namespace Sift.Policy;

/// <summary>Policies for the tests: a small base document edited per test, checked against the shipped taxonomy and templates.</summary>
internal static class TestPolicy
{
    public static readonly PolicyVocabulary Vocabulary =
        PolicyStore.VocabularyOf(TaxonomyOptions.Default(), TemplateLibrary.Load(Path.Combine(AppContext.BaseDirectory, "templates")));

    public const string Base = """
        {
          "company": "Contoso",
          "fallbackOwner": "support-lead",
          "vips": ["@bigclient.example"],
          "sla": { "high": 60, "normal": 240, "low": 1440 },
          "intents": {
            "scheduling": { "mode": "auto", "minConfidence": 0.6, "owner": "sales-team", "template": "scheduling-v1" },
            "support": { "mode": "review", "minConfidence": 0.6, "owner": "support-team", "template": "support-ack-v1" },
            "complaint": { "mode": "human", "owner": "account-managers" }
          },
          "rules": [
            { "name": "legal-hold", "when": { "flags": ["legal"] }, "then": { "action": "human" } },
            { "name": "complaint-hold", "when": { "flags": ["complaint"] }, "then": { "action": "human" } }
          ],
          "slots": { "calendar_link": "https://cal.contoso.example/sales" }
        }
        """;

    public static string ShippedFile => Path.Combine(AppContext.BaseDirectory, "policy", "policy.json");

    public static string Edit(Action<JsonObject> change, string json = Base)
    {
        var node = JsonNode.Parse(json)!.AsObject();
        change(node);
        return node.ToJsonString();
    }

    public static PolicyLoadResult TryLoad(string json) => PolicyLoader.Load(Encoding.UTF8.GetBytes(json), Vocabulary, "test");

    public static LoadedPolicy Load(string json = Base)
    {
        var result = TryLoad(json);
        Assert.True(result.IsValid, string.Join("\n", result.Errors));
        return result.Policy!;
    }

    public static LoadedPolicy Load(Action<JsonObject> change) => Load(Edit(change));
}
