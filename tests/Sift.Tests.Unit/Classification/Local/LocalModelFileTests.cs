namespace Sift.Classification.Local;

public sealed class LocalModelFileTests
{
    [Fact]
    public void Character_grams_stay_inside_each_padded_word_and_a_short_word_gives_itself_once()
    {
        var grams = LocalModelFile.CharWordGrams("Card is a", 2, 4).Split(' ');

        Assert.Equal(["_c", "ca", "ar", "rd", "d_", "_ca", "car", "ard", "rd_", "_car", "card", "ard_", "_i", "is", "s_", "_is", "is_", "_is_", "_a", "a_", "_a_"], grams);
    }

    [Fact]
    public void Character_grams_fold_case_split_on_punctuation_and_appear_once_each()
    {
        var grams = LocalModelFile.CharWordGrams("CAFÉ, café!", 3, 3).Split(' ');

        Assert.Equal(["_ca", "caf", "afé", "fé_"], grams);
    }
}
