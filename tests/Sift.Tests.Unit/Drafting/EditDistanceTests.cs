namespace Sift.Drafting;

public sealed class EditDistanceTests
{
    [Theory]
    [InlineData("Thanks, we will reply today.", "Thanks, we will reply today.", 0)]
    [InlineData("Thanks, we will reply today.", "Thanks, we will reply tomorrow.", 6)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("", "abc", 3)]
    public void The_distance_counts_the_characters_a_reviewer_changed(string draft, string sent, int distance)
    {
        Assert.Equal(distance, EditDistance.Measure(draft, sent).Distance);
    }

    [Fact]
    public void Line_endings_and_runs_of_spaces_are_not_edits()
    {
        Assert.Equal((0, 0.0), EditDistance.Measure("Hi Ana,\r\n\r\nThanks  for writing.", "Hi Ana,\n\nThanks for writing."));
    }

    [Fact]
    public void The_ratio_is_the_distance_over_the_longer_text()
    {
        var (distance, ratio) = EditDistance.Measure("abcd", "abcdefgh");

        Assert.Equal(4, distance);
        Assert.Equal(0.5, ratio);
    }

    [Fact]
    public void A_rewrite_scores_near_one()
    {
        Assert.True(EditDistance.Measure("Our plans are listed at the pricing page.", "Please call me on Monday about the renewal.").Ratio > 0.6);
    }

    [Fact]
    public void Long_texts_are_compared_word_by_word()
    {
        var draft = string.Join(' ', Enumerable.Repeat("word", 3000));
        var sent = draft + " extra";

        Assert.Equal(1, EditDistance.Measure(draft, sent).Distance);
    }
}
