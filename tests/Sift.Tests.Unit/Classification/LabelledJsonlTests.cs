namespace Sift.Classification;

public sealed class LabelledJsonlTests : IDisposable
{
    private readonly string _path = Path.Combine(Path.GetTempPath(), $"sift-jsonl-{Guid.NewGuid():N}.jsonl");

    public void Dispose() => File.Delete(_path);

    private string Write(params string[] lines)
    {
        File.WriteAllLines(_path, lines);
        return _path;
    }

    [Fact]
    public void Reads_the_named_text_and_label_fields_and_skips_blank_lines()
    {
        var path = Write("""{"id":"1","text":"hello","intent":"greeting"}""", "", """{"id":"2","text":"price?","intent":"pricing"}""");

        var items = LabelledJsonl.Read(path, "text", "intent");

        Assert.Equal([new LabelledText("hello", "greeting"), new LabelledText("price?", "pricing")], items);
    }

    [Fact]
    public void A_where_filter_keeps_only_lines_with_one_of_the_values()
    {
        var path = Write(
            """{"split":"train","body":"a","label":"x"}""",
            """{"split":"val","body":"b","label":"y"}""",
            """{"split":"oos_val","body":"c","label":"oos"}""");
        var where = new Dictionary<string, IReadOnlySet<string>>([LabelledJsonl.ParseWhere("split=val,oos_val")]);

        var items = LabelledJsonl.Read(path, selection: new JsonlSelection(where));

        Assert.Equal(["b", "c"], items.Select(i => i.Text));
    }

    [Fact]
    public void The_train_and_holdout_parts_split_every_line_once_and_the_same_way_each_time()
    {
        var path = Write([.. Enumerable.Range(0, 1000).Select(i => $$"""{"id":"line-{{i}}","body":"text {{i}}","label":"l{{i % 5}}"}""")]);

        var train = LabelledJsonl.Read(path, selection: new JsonlSelection(HoldoutFraction: 0.2, Part: LabelledJsonl.TrainPart));
        var holdout = LabelledJsonl.Read(path, selection: new JsonlSelection(HoldoutFraction: 0.2, Part: LabelledJsonl.HoldoutPart));
        var again = LabelledJsonl.Read(path, selection: new JsonlSelection(HoldoutFraction: 0.2, Part: LabelledJsonl.HoldoutPart));

        Assert.Equal(1000, train.Count + holdout.Count);
        Assert.Empty(train.Select(t => t.Text).Intersect(holdout.Select(h => h.Text)));
        Assert.InRange(holdout.Count, 150, 250);
        Assert.Equal(holdout, again);
    }

    [Theory]
    [InlineData("""{"body":"a"}""", "no 'label' field")]
    [InlineData("""{"body":["a"],"label":"x"}""", "'body' is Array")]
    [InlineData("not json", "not a JSON object")]
    [InlineData("[1, 2]", "not a JSON object (Array)")]
    public void A_bad_line_is_reported_with_its_file_and_line_number(string line, string problem)
    {
        var path = Write("""{"body":"ok","label":"x"}""", line);

        var error = Assert.Throws<InvalidDataException>(() => LabelledJsonl.Read(path));

        Assert.Contains($"{path}:2", error.Message, StringComparison.Ordinal);
        Assert.Contains(problem, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("split")]
    [InlineData("=train")]
    [InlineData("split=")]
    public void A_where_expression_without_field_and_value_is_refused(string expression) =>
        Assert.Throws<FormatException>(() => LabelledJsonl.ParseWhere(expression));
}
