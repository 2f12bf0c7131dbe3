namespace Sift.Classification.Local;

public sealed class Banking77FloorTests
{
    [Fact]
    public void Trained_on_the_banking77_train_part_it_classifies_the_holdout_part_above_the_floor()
    {
        var data = Path.Combine(RepoPaths.SharedData, "intent-banking77", "banking77.jsonl");
        if (!File.Exists(data))
        {
            Assert.Skip($"../shared/data is not present (looked in {data}).");
        }

        var train = LabelledJsonl.Read(data, selection: new JsonlSelection(HoldoutFraction: 0.2, Part: LabelledJsonl.TrainPart));
        var holdout = LabelledJsonl.Read(data, selection: new JsonlSelection(HoldoutFraction: 0.2, Part: LabelledJsonl.HoldoutPart));
        var folder = Path.Combine(Path.GetTempPath(), "sift-banking77-" + Guid.NewGuid().ToString("N"));
        try
        {
            LocalIntentTrainer.Train(train, new LocalTrainingOptions(), Path.Combine(folder, "banking77.siftmodel"), null, TestContext.Current.CancellationToken);
            using var model = LocalIntentModel.Load(Path.Combine(folder, "banking77.siftmodel"));

            var predictions = model.PredictBatch([.. holdout.Select(h => h.Text)]);

            var accuracy = predictions.Where((p, i) => p.Intent == holdout[i].Label).Count() / (double)holdout.Count;
            Assert.True(accuracy >= 0.90, $"Accuracy {accuracy:0.0000} on {holdout.Count} BANKING77 hold-out lines is below 0.90.");
        }
        finally
        {
            if (Directory.Exists(folder))
            {
                Directory.Delete(folder, recursive: true);
            }
        }
    }
}
