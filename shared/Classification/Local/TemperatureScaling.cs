namespace Sift.Classification.Local;

/// <summary>
/// Temperature scaling (Guo et al., 2017): one T divides every log-probability before the softmax. It keeps the
/// ranking (so accuracy is unchanged) and only makes the confidence honest, which is what the routing threshold needs.
/// </summary>
internal static class TemperatureScaling
{
    // A probability of exactly zero would make the log -infinity and the NLL undefined.
    private const double MinProbability = 1e-12;

    /// <summary>The T in [0.05, 20] minimising the negative log-likelihood of the gold labels.</summary>
    public static double Fit(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels)
    {
        if (probabilities.Count == 0)
        {
            return 1;
        }

        // NLL is unimodal in log T for this family, so a golden-section search over log T is enough and needs no gradient.
        double lo = Math.Log(0.05), hi = Math.Log(20);
        var ratio = (Math.Sqrt(5) - 1) / 2;
        var a = hi - ratio * (hi - lo);
        var b = lo + ratio * (hi - lo);
        var fa = Nll(probabilities, labels, Math.Exp(a));
        var fb = Nll(probabilities, labels, Math.Exp(b));
        for (var i = 0; i < 80 && hi - lo > 1e-6; i++)
        {
            if (fa < fb)
            {
                hi = b;
                b = a;
                fb = fa;
                a = hi - ratio * (hi - lo);
                fa = Nll(probabilities, labels, Math.Exp(a));
            }
            else
            {
                lo = a;
                a = b;
                fa = fb;
                b = lo + ratio * (hi - lo);
                fb = Nll(probabilities, labels, Math.Exp(b));
            }
        }

        return Math.Exp((lo + hi) / 2);
    }

    /// <summary>Mean negative log-likelihood of the gold labels after scaling by <paramref name="temperature"/>.</summary>
    public static double Nll(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, double temperature)
    {
        var sum = 0.0;
        var scaled = new double[probabilities.Count == 0 ? 0 : probabilities[0].Length];
        for (var i = 0; i < probabilities.Count; i++)
        {
            Apply(probabilities[i], temperature, scaled);
            sum -= Math.Log(Math.Max(scaled[labels[i]], MinProbability));
        }

        return sum / Math.Max(1, probabilities.Count);
    }

    /// <summary>Writes softmax(log p / T) into <paramref name="scaled"/>.</summary>
    public static void Apply(ReadOnlySpan<float> probabilities, double temperature, Span<double> scaled)
    {
        var max = double.NegativeInfinity;
        for (var k = 0; k < probabilities.Length; k++)
        {
            scaled[k] = Math.Log(Math.Max(probabilities[k], MinProbability)) / temperature;
            max = Math.Max(max, scaled[k]);
        }

        var total = 0.0;
        for (var k = 0; k < probabilities.Length; k++)
        {
            scaled[k] = Math.Exp(scaled[k] - max);
            total += scaled[k];
        }

        for (var k = 0; k < probabilities.Length; k++)
        {
            scaled[k] /= total;
        }
    }

    /// <summary>Expected calibration error of the top-1 confidence over equal-width bins (15, as in Guo et al.).</summary>
    public static double ExpectedCalibrationError(IReadOnlyList<(double Confidence, bool Correct)> outcomes, int bins = 15)
    {
        if (outcomes.Count == 0)
        {
            return 0;
        }

        var count = new int[bins];
        var confidence = new double[bins];
        var correct = new int[bins];
        foreach (var (c, ok) in outcomes)
        {
            var bin = Math.Clamp((int)Math.Ceiling(c * bins) - 1, 0, bins - 1);
            count[bin]++;
            confidence[bin] += c;
            correct[bin] += ok ? 1 : 0;
        }

        var ece = 0.0;
        for (var b = 0; b < bins; b++)
        {
            if (count[b] > 0)
            {
                ece += Math.Abs(correct[b] - confidence[b]) / outcomes.Count;
            }
        }

        return ece;
    }

    /// <summary>The top-1 confidence and correctness of each item after scaling.</summary>
    public static IReadOnlyList<(double Confidence, bool Correct)> Outcomes(IReadOnlyList<float[]> probabilities, IReadOnlyList<int> labels, double temperature)
    {
        var result = new (double, bool)[probabilities.Count];
        var scaled = new double[probabilities.Count == 0 ? 0 : probabilities[0].Length];
        for (var i = 0; i < probabilities.Count; i++)
        {
            Apply(probabilities[i], temperature, scaled);
            var best = 0;
            for (var k = 1; k < scaled.Length; k++)
            {
                if (scaled[k] > scaled[best])
                {
                    best = k;
                }
            }

            result[i] = (scaled[best], best == labels[i]);
        }

        return result;
    }
}
