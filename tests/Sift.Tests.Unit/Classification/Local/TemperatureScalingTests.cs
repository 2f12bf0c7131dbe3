namespace Sift.Classification.Local;

public sealed class TemperatureScalingTests
{
    [Fact]
    public void An_over_confident_model_gets_a_temperature_above_one_that_lowers_its_confidence_and_its_calibration_error()
    {
        // Always 95% sure of the first class, right only 60% of the time.
        var probabilities = Enumerable.Range(0, 1000).Select(_ => new[] { 0.95f, 0.03f, 0.02f }).ToArray();
        var labels = Enumerable.Range(0, 1000).Select(i => i % 10 < 6 ? 0 : 1 + i % 2).ToArray();

        var temperature = TemperatureScaling.Fit(probabilities, labels);

        Assert.True(temperature > 1, $"T = {temperature}");
        var before = TemperatureScaling.Outcomes(probabilities, labels, 1);
        var after = TemperatureScaling.Outcomes(probabilities, labels, temperature);
        Assert.True(after[0].Confidence < before[0].Confidence);
        Assert.InRange(after[0].Confidence, 0.55, 0.65);
        Assert.True(TemperatureScaling.ExpectedCalibrationError(after) < TemperatureScaling.ExpectedCalibrationError(before) / 5);
    }

    [Fact]
    public void An_under_confident_model_gets_a_temperature_below_one_that_raises_its_confidence()
    {
        // 50% sure, right 95% of the time.
        var probabilities = Enumerable.Range(0, 1000).Select(_ => new[] { 0.5f, 0.3f, 0.2f }).ToArray();
        var labels = Enumerable.Range(0, 1000).Select(i => i % 20 == 0 ? 1 : 0).ToArray();

        var temperature = TemperatureScaling.Fit(probabilities, labels);

        Assert.True(temperature < 1, $"T = {temperature}");
        Assert.True(TemperatureScaling.Outcomes(probabilities, labels, temperature)[0].Confidence > 0.9);
    }

    [Fact]
    public void Scaling_keeps_the_ranking_and_sums_to_one()
    {
        var scaled = new double[4];

        TemperatureScaling.Apply([0.1f, 0.6f, 0.0f, 0.3f], 2.5, scaled);

        Assert.Equal(1, scaled.Sum(), 9);
        Assert.True(scaled[1] > scaled[3] && scaled[3] > scaled[0] && scaled[0] > scaled[2]);
    }

    [Fact]
    public void The_calibration_split_is_stratified_and_the_same_for_the_same_seed()
    {
        var examples = Enumerable.Range(0, 100).Select(i => new LabelledText($"text {i}", i < 80 ? "a" : "b")).ToArray();

        var (fit, calibration) = LocalIntentTrainer.SplitForCalibration(examples, 0.1, seed: 7);
        var again = LocalIntentTrainer.SplitForCalibration(examples, 0.1, seed: 7);

        Assert.Equal(8, calibration.Count(c => c.Label == "a"));
        Assert.Equal(2, calibration.Count(c => c.Label == "b"));
        Assert.Equal(90, fit.Count);
        Assert.Equal(calibration, again.Calibration);
    }
}
