namespace Cascade.Ranking.Neural.Tests;

/// <summary>Small synthetic CTR data sets for the tests.</summary>
internal static class Synthetic
{
    /// <summary>
    /// Fields a and b (codes 1..8) and a noise field c (codes 0..4); the label is 1 when a + b is even (a feature
    /// cross no additive model can express), flipped with probability <paramref name="noise"/>. Two numeric
    /// features: one informative-free Gaussian with some NaN, one constant.
    /// </summary>
    public static RankingDataset Parity(int rows, int seed, double noise = 0.05, FeatureSchema? schema = null)
    {
        schema ??= ParitySchema();
        var random = new Random(seed);
        var categorical = new int[rows * 3];
        var numeric = new float[rows * 2];
        var labels = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            int a = 1 + random.Next(8), b = 1 + random.Next(8);
            categorical[i * 3] = a;
            categorical[(i * 3) + 1] = b;
            categorical[(i * 3) + 2] = random.Next(5);
            numeric[i * 2] = random.NextDouble() < 0.1 ? float.NaN : (float)(random.NextDouble() * 4 - 2);
            numeric[(i * 2) + 1] = 3f;
            bool positive = (a + b) % 2 == 0;
            if (random.NextDouble() < noise)
            {
                positive = !positive;
            }
            labels[i] = positive ? 1 : 0;
        }
        return new RankingDataset(schema, rows, categorical, numeric, labels);
    }

    public static FeatureSchema ParitySchema() =>
        new([new CategoricalField("a", 9), new CategoricalField("b", 9), new CategoricalField("c", 5)], ["x", "k"]);

    /// <summary>Random labels: nothing to learn, so a model can only over-fit.</summary>
    public static RankingDataset Noise(int rows, int seed)
    {
        var data = Parity(rows, seed, noise: 0);
        var random = new Random(seed + 1);
        var labels = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            labels[i] = random.Next(2);
        }
        return new RankingDataset(data.Schema, rows, data.Categorical, data.Numeric, labels);
    }

    public static DcnV2Options SmallOptions(int threads = 1) => new()
    {
        EmbeddingDimension = 4,
        CrossLayers = 2,
        HiddenUnits = [16, 8],
        BatchSize = 128,
        Epochs = 12,
        LearningRate = 0.01,
        Dropout = 0.1,
        EmbeddingL2 = 1e-4,
        EmbeddingTableL2 = 0,
        Threads = threads,
        Seed = 7,
    };
}
