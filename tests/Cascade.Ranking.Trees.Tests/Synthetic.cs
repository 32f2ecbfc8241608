using Cascade.Ranking.Metrics;

namespace Cascade.Ranking.Trees.Tests;

/// <summary>Small deterministic data sets for the tests.</summary>
internal static class Synthetic
{
    public static FeatureSchema NumericSchema(int features) =>
        new([], [.. Enumerable.Range(0, features).Select(i => $"x{i}")]);

    /// <summary>Rows of uniform [-1, 1] features with a label drawn from σ(logit(x)).</summary>
    public static RankingDataset Numeric(int rows, int features, Func<float[], double> logit, int seed, double missing = 0)
    {
        var random = new Random(seed);
        var x = new float[rows * features];
        var labels = new float[rows];
        var row = new float[features];
        for (int r = 0; r < rows; r++)
        {
            for (int j = 0; j < features; j++)
            {
                row[j] = (float)((random.NextDouble() * 2) - 1);
            }
            double p = 1 / (1 + Math.Exp(-logit(row)));
            labels[r] = random.NextDouble() < p ? 1 : 0;
            for (int j = 0; j < features; j++)
            {
                x[(r * features) + j] = missing > 0 && random.NextDouble() < missing ? float.NaN : row[j];
            }
        }
        return new RankingDataset(NumericSchema(features), rows, [], x, labels);
    }

    public static double Auc(IRanker ranker, RankingDataset data)
    {
        var scores = new float[data.Rows];
        ranker.Predict(data, scores);
        return ScoreMetrics.Auc(data.BinaryLabels(), scores);
    }

    /// <summary>AUC of a logistic regression on the numeric features (full-batch gradient descent): the linear baseline.</summary>
    public static double LinearAuc(RankingDataset train, RankingDataset test)
    {
        int d = train.Schema.NumericCount;
        var w = new double[d + 1];
        var labels = train.Labels!;
        for (int epoch = 0; epoch < 300; epoch++)
        {
            var grad = new double[d + 1];
            for (int r = 0; r < train.Rows; r++)
            {
                var x = train.NumericRow(r);
                double s = w[d];
                for (int j = 0; j < d; j++)
                {
                    s += w[j] * x[j];
                }
                double e = (1 / (1 + Math.Exp(-s))) - labels[r];
                for (int j = 0; j < d; j++)
                {
                    grad[j] += e * x[j];
                }
                grad[d] += e;
            }
            for (int j = 0; j <= d; j++)
            {
                w[j] -= 1.0 * grad[j] / train.Rows;
            }
        }
        var scores = new float[test.Rows];
        for (int r = 0; r < test.Rows; r++)
        {
            var x = test.NumericRow(r);
            double s = w[d];
            for (int j = 0; j < d; j++)
            {
                s += w[j] * x[j];
            }
            scores[r] = (float)s;
        }
        return ScoreMetrics.Auc(test.BinaryLabels(), scores);
    }

    /// <summary>
    /// A categorical field of 60 categories, half of them "good" (click rate 0.8) and half "bad" (0.2), chosen at random
    /// so code order carries no signal; plus one uniform noise feature.
    /// </summary>
    public static (RankingDataset Categorical, RankingDataset CodesAsNumbers) Categories(int rows, int seed)
    {
        const int Categories = 60;
        var random = new Random(seed);
        var good = new bool[Categories + 1];
        var goodRandom = new Random(7);
        for (int c = 1; c <= Categories; c++)
        {
            good[c] = goodRandom.NextDouble() < 0.5;
        }
        var codes = new int[rows];
        var numeric = new float[rows * 2];
        var noiseOnly = new float[rows];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int c = 1 + random.Next(Categories);
            codes[r] = c;
            float noise = (float)random.NextDouble();
            labels[r] = random.NextDouble() < (good[c] ? 0.8 : 0.2) ? 1 : 0;
            numeric[r * 2] = c;
            numeric[(r * 2) + 1] = noise;
            noiseOnly[r] = noise;
        }
        var categoricalSchema = new FeatureSchema([new CategoricalField("item", Categories + 1)], ["noise"]);
        var numericSchema = new FeatureSchema([], ["item_code", "noise"]);
        return (new RankingDataset(categoricalSchema, rows, codes, noiseOnly, labels), new RankingDataset(numericSchema, rows, [], numeric, labels));
    }

    /// <summary>Queries of 20 documents with 4 features; relevance 0..3 from a non-linear function of the features plus noise.</summary>
    public static RankingDataset Queries(int queries, int seed)
    {
        const int Docs = 20, Features = 4;
        var random = new Random(seed);
        int rows = queries * Docs;
        var x = new float[rows * Features];
        var labels = new float[rows];
        var groups = new int[queries + 1];
        for (int q = 0; q < queries; q++)
        {
            groups[q + 1] = (q + 1) * Docs;
            for (int i = 0; i < Docs; i++)
            {
                int r = (q * Docs) + i;
                for (int j = 0; j < Features; j++)
                {
                    x[(r * Features) + j] = (float)random.NextDouble();
                }
                double a = x[r * Features], b = x[(r * Features) + 1], c = x[(r * Features) + 2];
                double signal = (a > 0.5 ? 1.5 : 0) + (b * c * 2) + (0.3 * random.NextDouble());
                labels[r] = signal > 2.2 ? 3 : signal > 1.6 ? 2 : signal > 0.8 ? 1 : 0;
            }
        }
        return new RankingDataset(NumericSchema(Features), rows, [], x, labels, groups);
    }
}
