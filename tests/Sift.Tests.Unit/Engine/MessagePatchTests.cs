namespace Sift.Engine;

public sealed class MessagePatchTests
{
    /// <summary>A patch with every column set, found by reflection so that a column added later is covered too.</summary>
    private static MessagePatch Full(string text, double number, bool flag)
    {
        var patch = new MessagePatch();
        foreach (var property in typeof(MessagePatch).GetProperties().Where(p => p.CanWrite))
        {
            object value = property.PropertyType == typeof(string) ? $"{text}-{property.Name}"
                : property.PropertyType == typeof(double?) ? number
                : property.PropertyType == typeof(bool?) ? flag
                : throw new InvalidOperationException($"Add a value for {property.PropertyType} to this test.");
            property.SetValue(patch, value);
        }

        return patch;
    }

    [Fact]
    public void A_later_patch_keeps_the_earlier_values_it_does_not_set()
    {
        var earlier = new MessagePatch { Status = "processing", Intent = "support", Confidence = 0.7, AutoSent = false };
        var later = new MessagePatch { Status = "awaiting_review", Owner = "support-team" };

        var merged = earlier.Merge(later);

        Assert.Equal(
            new MessagePatch { Status = "awaiting_review", Intent = "support", Confidence = 0.7, AutoSent = false, Owner = "support-team" },
            merged);
    }

    [Fact]
    public void Merging_an_empty_patch_keeps_every_column()
    {
        var earlier = Full("earlier", 0.5, flag: true);

        Assert.Equal(earlier, earlier.Merge(new MessagePatch()));
    }

    [Fact]
    public void Every_column_a_later_patch_sets_wins()
    {
        var later = Full("later", 0.9, flag: false);

        Assert.Equal(later, Full("earlier", 0.5, flag: true).Merge(later));
    }
}
