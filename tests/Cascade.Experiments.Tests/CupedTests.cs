namespace Cascade.Experiments.Tests;

public sealed class CupedTests
{
    /// <summary>Per-unit (y, x) with corr(y, x) = rho and mean of y shifted by <paramref name="effect"/>.</summary>
    private static (double[] Y, double[] X) Arm(Random random, int n, double rho, double effect)
    {
        var y = new double[n];
        var x = new double[n];
        for (int i = 0; i < n; i++)
        {
            double z1 = Gaussian(random), z2 = Gaussian(random);
            x[i] = 10 + (2 * z1);
            y[i] = 5 + effect + (3 * ((rho * z1) + (Math.Sqrt(1 - (rho * rho)) * z2)));
        }
        return (y, x);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());

    [Fact]
    public void Cuped_reduces_variance_by_about_rho_squared_on_correlated_data()
    {
        var random = new Random(5);
        var (yc, xc) = Arm(random, 5000, 0.7, 0);
        var (yt, xt) = Arm(random, 5000, 0.7, 0.1);
        var r = Cuped.Compare(CupedArm.ForMean(yc, xc), CupedArm.ForMean(yt, xt));
        Assert.Equal(Methods.Cuped, r.Method);
        Assert.InRange(r.VarianceReduction, 0.44, 0.54); // ρ² = 0.49
        Assert.InRange(r.Theta, 0.95, 1.15); // cov/var = 3 · 0.7 · 2 / 4 = 1.05
        var plain = FixedHorizon.WelchT(SampleSummary.FromValues(yc), SampleSummary.FromValues(yt));
        Assert.True(r.Comparison.StandardError < plain.StandardError);
    }

    [Fact]
    public void Cuped_is_unbiased_and_keeps_its_level_on_a_a_tests()
    {
        var random = new Random(6);
        const int runs = 400;
        double sum = 0, sumSq = 0;
        int rejects = 0;
        for (int run = 0; run < runs; run++)
        {
            var (yc, xc) = Arm(random, 500, 0.6, 0);
            var (yt, xt) = Arm(random, 500, 0.6, 0);
            var r = Cuped.Compare(CupedArm.ForMean(yc, xc), CupedArm.ForMean(yt, xt));
            sum += r.Comparison.AbsoluteLift;
            sumSq += r.Comparison.AbsoluteLift * r.Comparison.AbsoluteLift;
            rejects += r.Comparison.PValue < 0.05 ? 1 : 0;
        }
        double mean = sum / runs;
        double se = Math.Sqrt(((sumSq / runs) - (mean * mean)) / runs);
        Assert.True(Math.Abs(mean) < 3 * se, $"mean difference {mean} with standard error {se}");
        Assert.InRange(rejects / (double)runs, 0.02, 0.09);
    }

    [Fact]
    public void Cuped_on_a_ratio_metric_uses_its_linearisation()
    {
        var random = new Random(7);
        int n = 3000;
        double[] Clicks(double[] impressions, double[] propensity) => [.. impressions.Select((m, i) => Math.Round(m * propensity[i]))];
        double[] pc = [.. Enumerable.Range(0, n).Select(_ => 0.02 + (0.1 * random.NextDouble()))];
        double[] pt = [.. Enumerable.Range(0, n).Select(_ => 0.02 + (0.1 * random.NextDouble()))];
        double[] ic = [.. Enumerable.Range(0, n).Select(_ => 20.0 + random.Next(100))];
        double[] it = [.. Enumerable.Range(0, n).Select(_ => 20.0 + random.Next(100))];
        double[] covC = [.. pc.Select(p => (p * 50) - (0.07 * 50) + (random.NextDouble() - 0.5))];
        double[] covT = [.. pt.Select(p => (p * 50) - (0.07 * 50) + (random.NextDouble() - 0.5))];
        var r = Cuped.Compare(CupedArm.ForRatio(Clicks(ic, pc), ic, covC), CupedArm.ForRatio(Clicks(it, pt), it, covT));
        Assert.True(r.VarianceReduction > 0.3, $"reduction {r.VarianceReduction}");
        Assert.True(r.Comparison.AbsoluteInterval.Contains(0));
    }
}
