namespace Cascade.Pipeline.Reranking;

/// <summary>Default values of every re-ranker option, defined once.</summary>
public static class RerankerDefaults
{
    /// <summary>MMR trade-off: weight of relevance against diversity (1 keeps the input order).</summary>
    public const float MmrLambda = 0.7f;

    /// <summary>MMR never diversifies more than this many positions, whatever the page size.</summary>
    public const int MmrMaxDepth = 100;

    /// <summary>Category cap: at most this many items of one primary category in a window.</summary>
    public const int MaxPerCategory = 2;

    /// <summary>Category cap: window length in consecutive positions.</summary>
    public const int CategoryWindow = 5;

    /// <summary>De-duplication: how many items may share one attribute value.</summary>
    public const int MaxPerValue = 1;

    /// <summary>Exploration: fraction of the page given to exploration slots when no positions are listed.</summary>
    public const double ExplorationFraction = 0.1;

    /// <summary>Exploration: probability that an ε-greedy slot is given to a random candidate.</summary>
    public const double Epsilon = 0.1;

    /// <summary>Exploration: how many candidates beyond the page may be drawn into a slot.</summary>
    public const int ExplorationPoolSize = 200;

    /// <summary>Thompson sampling: prior α (pseudo-clicks) of every item's Beta distribution.</summary>
    public const double PriorAlpha = 1;

    /// <summary>Thompson sampling: prior β (pseudo-non-clicks) of every item's Beta distribution.</summary>
    public const double PriorBeta = 1;
}
