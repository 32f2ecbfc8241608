using Cascade.Ranking;

namespace Cascade.Features.Tests;

public static class FeatureAssert
{
    /// <summary>Every column of <paramref name="row"/> equals the expected value (codes exactly, numbers to 1e-5 relative, NaN to NaN).</summary>
    public static void RowEquals(FeatureSet set, Dictionary<string, double> expected, RankingDataset data, int row, string what)
    {
        var schema = set.Schema;
        var numeric = data.NumericRow(row);
        for (int i = 0; i < schema.NumericCount; i++)
        {
            string name = schema.Numeric[i];
            Assert.True(expected.ContainsKey(name), $"reference has no value for {name}");
            Close(expected[name], numeric[i], $"{what}: {name}");
        }
        var codes = data.CategoricalRow(row);
        for (int f = 0; f < schema.FieldCount; f++)
        {
            string name = schema.Categorical[f].Name;
            double want = name.EndsWith("_bucket", StringComparison.Ordinal)
                ? FeatureSet.LogBucket((float)expected[name[..^"_bucket".Length]], set.Options.LogBucketCount)
                : expected[name];
            if (want != codes[f])
            {
                Assert.Fail($"{what}: {name} is {codes[f]}, expected {want}");
            }
        }
    }

    public static void Close(double expected, double actual, string what)
    {
        if (double.IsNaN(expected) || double.IsNaN(actual))
        {
            if (double.IsNaN(expected) != double.IsNaN(actual))
            {
                Assert.Fail($"{what} is {actual}, expected {expected}");
            }
            return;
        }
        double tolerance = 1e-5 * Math.Max(1, Math.Abs(expected));
        if (Math.Abs(expected - actual) > tolerance)
        {
            Assert.Fail($"{what} is {actual}, expected {expected}");
        }
    }

    /// <summary>Rows of two data sets are equal column by column (codes exactly, numbers to 1e-5 relative).</summary>
    public static void SameRow(RankingDataset a, int rowA, RankingDataset b, int rowB, string what)
    {
        Assert.Equal(a.Schema, b.Schema);
        var na = a.NumericRow(rowA);
        var nb = b.NumericRow(rowB);
        for (int i = 0; i < na.Length; i++)
        {
            Close(na[i], nb[i], $"{what}: {a.Schema.Numeric[i]}");
        }
        var ca = a.CategoricalRow(rowA);
        var cb = b.CategoricalRow(rowB);
        for (int f = 0; f < ca.Length; f++)
        {
            if (ca[f] != cb[f])
            {
                Assert.Fail($"{what}: {a.Schema.Categorical[f].Name} is {cb[f]}, expected {ca[f]}");
            }
        }
    }

    /// <summary>Area under the ROC curve of <paramref name="scores"/> against binary <paramref name="labels"/> (ties count half).</summary>
    public static double Auc(IReadOnlyList<float> scores, IReadOnlyList<float> labels)
    {
        double pairs = 0, wins = 0;
        for (int i = 0; i < scores.Count; i++)
        {
            if (labels[i] < 0.5f)
            {
                continue;
            }
            for (int j = 0; j < scores.Count; j++)
            {
                if (labels[j] > 0.5f)
                {
                    continue;
                }
                pairs++;
                wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
            }
        }
        return pairs == 0 ? 0.5 : wins / pairs;
    }
}
