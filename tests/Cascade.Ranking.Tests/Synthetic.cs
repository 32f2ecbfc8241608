namespace Cascade.Ranking.Tests;

/// <summary>Small synthetic click data sets with known structure.</summary>
internal static class Synthetic
{
    /// <summary>Field sizes of <see cref="Logistic"/>: codes 1..n-1 used, 0 reserved.</summary>
    public static readonly int[] Cardinalities = [6, 5, 4];

    /// <summary>True categorical weights of <see cref="Logistic"/> by field then code (code 0 unused).</summary>
    public static readonly double[][] TrueWeights =
    [
        [0, -1.5, -0.5, 0.0, 0.8, 1.6],
        [0, 1.0, -1.0, 0.5, -0.5],
        [0, 0.0, 0.7, -0.7],
    ];

    public const double TrueNumericWeight = 0.9;
    public const double TrueBias = -0.3;

    /// <summary>
    /// Rows drawn from a known logistic model over three categorical fields and one numeric feature x ~ N(0, 1), which
    /// is missing (NaN) in 10% of rows; missing contributes 0 to the true margin.
    /// </summary>
    public static RankingDataset Logistic(int rows, int seed)
    {
        var schema = new FeatureSchema(
            [new CategoricalField("a", Cardinalities[0]), new CategoricalField("b", Cardinalities[1]), new CategoricalField("c", Cardinalities[2])],
            ["x"]);
        var random = new Random(seed);
        var categorical = new int[rows * 3];
        var numeric = new float[rows];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            double margin = TrueBias;
            for (int f = 0; f < 3; f++)
            {
                int code = 1 + random.Next(Cardinalities[f] - 1);
                categorical[(r * 3) + f] = code;
                margin += TrueWeights[f][code];
            }
            if (random.NextDouble() < 0.1)
            {
                numeric[r] = float.NaN;
            }
            else
            {
                double x = Gaussian(random);
                numeric[r] = (float)x;
                margin += TrueNumericWeight * x;
            }
            labels[r] = random.NextDouble() < 1 / (1 + Math.Exp(-margin)) ? 1 : 0;
        }
        return new RankingDataset(schema, rows, categorical, numeric, labels);
    }

    /// <summary>
    /// A pure interaction: fields "a" and "b" with codes 1..4, and label = (a is odd) XOR (b is odd) flipped with
    /// probability 5%, plus a noise field. Every single feature is uninformative, so a linear model scores AUC ≈ 0.5.
    /// </summary>
    public static RankingDataset Interaction(int rows, int seed)
    {
        var schema = new FeatureSchema([new CategoricalField("a", 5), new CategoricalField("b", 5), new CategoricalField("noise", 4)], []);
        var random = new Random(seed);
        var categorical = new int[rows * 3];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            int a = 1 + random.Next(4), b = 1 + random.Next(4);
            categorical[r * 3] = a;
            categorical[(r * 3) + 1] = b;
            categorical[(r * 3) + 2] = 1 + random.Next(3);
            bool label = (a % 2 == 1) ^ (b % 2 == 1);
            labels[r] = (random.NextDouble() < 0.05 ? !label : label) ? 1 : 0;
        }
        return new RankingDataset(schema, rows, categorical, [], labels);
    }

    public static double Gaussian(Random random)
    {
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    public static float[] Predict(IRanker ranker, RankingDataset data)
    {
        var scores = new float[data.Rows];
        ranker.Predict(data, scores);
        return scores;
    }
}
