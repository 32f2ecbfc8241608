namespace Cascade.Ranking.Training;

/// <summary>Small numerical helpers shared by the click models.</summary>
internal static class RankerMath
{
    /// <summary>Probabilities written by the models lie in [Epsilon, 1 − Epsilon].</summary>
    public const double Epsilon = 1e-7;

    public static double Sigmoid(double x) => x >= 0 ? 1 / (1 + Math.Exp(-x)) : Math.Exp(x) / (1 + Math.Exp(x));

    /// <summary>Logloss of a logit <paramref name="score"/> against <paramref name="label"/> in [0, 1], computed stably.</summary>
    public static double LogLossOfLogit(double score, double label) =>
        // −y·ln σ(s) − (1 − y)·ln(1 − σ(s)) = softplus(s) − y·s
        (score > 0 ? score + Math.Log(1 + Math.Exp(-score)) : Math.Log(1 + Math.Exp(score))) - (label * score);

    public static float Probability(double score) => (float)Math.Clamp(Sigmoid(score), Epsilon, 1 - Epsilon);

    public static double Logit(double p)
    {
        p = Math.Clamp(p, Epsilon, 1 - Epsilon);
        return Math.Log(p / (1 - p));
    }

    /// <summary>Fisher–Yates shuffle with the given generator.</summary>
    public static void Shuffle(Span<int> order, Random random)
    {
        for (int i = order.Length - 1; i > 0; i--)
        {
            int j = random.Next(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
    }

    public static int[] Identity(int n)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++)
        {
            order[i] = i;
        }
        return order;
    }

    /// <summary>The labels of a data set, or an exception naming the parameter when it has none.</summary>
    public static float[] RequireLabels(RankingDataset data, string paramName)
    {
        ArgumentNullException.ThrowIfNull(data, paramName);
        return data.Labels ?? throw new ArgumentException("The data set has no labels; fitting needs labelled rows.", paramName);
    }
}
