namespace Sift.Filtering;

/// <summary>
/// The pre-filter on the public corpora in ../shared/data (skipped where they are absent). The floors are the figures the
/// README reports, rounded down: a change that filters a human or lets machine mail through fails here.
/// </summary>
public sealed class PrefilterCorpusTests
{
    private static readonly Lazy<IReadOnlyList<PrefilterTally>> Tallies = new(() =>
        PrefilterEvaluation.Tally(PrefilterEvaluation.Run(RepoPaths.SharedData, TestMail.Now)));

    private static PrefilterTally Group(string corpus, string group)
    {
        if (!File.Exists(Path.Combine(RepoPaths.SharedData, corpus, "labels.jsonl")))
        {
            Assert.Skip($"../shared/data/{corpus} is not present (looked in {RepoPaths.SharedData}).");
        }

        return Tallies.Value.Single(t => t.Corpus == corpus && t.Group == group);
    }

    [Theory]
    [InlineData("bounces-autoreplies-sisimai", "bounce", 0.99)]
    [InlineData("bounces-autoreplies-sisimai", "auto_reply", 0.99)]
    [InlineData("bounces-autoreplies-sisimai", "feedback_report", 0.99)]
    [InlineData("autoreplies-helpdesk-fixtures", "bounce", 0.95)]
    [InlineData("autoreplies-helpdesk-fixtures", "auto_reply", 0.6)]
    public void Machine_mail_is_filtered(string corpus, string kind, double floor)
    {
        var tally = Group(corpus, kind);

        Assert.True(tally.FilteredRate >= floor, $"{corpus}/{kind}: {tally.Filtered} of {tally.Total} filtered, below {floor:P0}");
    }

    [Fact]
    public void No_human_helpdesk_request_is_filtered()
    {
        var tally = Group("autoreplies-helpdesk-fixtures", "human");

        Assert.Equal(0, tally.Filtered);
    }

    [Fact]
    public void Ham_is_rarely_called_spam_and_easy_ham_never()
    {
        Assert.Equal(0, Group("spam-ham-spamassassin", "ham/easy_ham").FilteredAsSpam);
        Assert.True(Group("spam-ham-spamassassin", "ham/hard_ham").SpamRate <= 0.05);
    }

    [Fact]
    public void Content_signals_catch_a_share_of_spam_without_upstream_verdicts()
    {
        var spam = Group("spam-ham-spamassassin", "spam");

        Assert.True(spam.FilteredRate >= 0.35, $"{spam.Filtered} of {spam.Total} spam filtered");
    }
}
