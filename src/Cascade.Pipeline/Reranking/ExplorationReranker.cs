namespace Cascade.Pipeline.Reranking;

/// <summary>How <see cref="ExplorationReranker"/> chooses the candidate for an exploration slot.</summary>
public enum ExplorationStrategy
{
    /// <summary>With probability ε the slot takes a uniformly random candidate from beyond the page; otherwise it is left alone.</summary>
    EpsilonGreedy,

    /// <summary>Every slot takes the candidate from beyond the page with the highest draw from Beta(α + clicks, β + impressions − clicks).</summary>
    Thompson,
}

/// <summary>Options of <see cref="ExplorationReranker"/>.</summary>
/// <param name="Strategy">ε-greedy or Thompson sampling.</param>
/// <param name="Positions">0-based slot positions within the page (e.g. [2, 6] for the third and seventh); null to use <paramref name="Fraction"/>.</param>
/// <param name="Fraction">When <paramref name="Positions"/> is null: round(Fraction × page size) slots spread evenly over the page, never at position 0.</param>
/// <param name="Epsilon">ε-greedy: probability that a slot explores, in [0, 1].</param>
/// <param name="PoolSize">How many candidates right after the page are eligible (at least 1).</param>
/// <param name="PriorAlpha">Thompson: prior pseudo-clicks (positive).</param>
/// <param name="PriorBeta">Thompson: prior pseudo-non-clicks (positive).</param>
public sealed record ExplorationOptions(
    ExplorationStrategy Strategy = ExplorationStrategy.EpsilonGreedy,
    IReadOnlyList<int>? Positions = null,
    double Fraction = RerankerDefaults.ExplorationFraction,
    double Epsilon = RerankerDefaults.Epsilon,
    int PoolSize = RerankerDefaults.ExplorationPoolSize,
    double PriorAlpha = RerankerDefaults.PriorAlpha,
    double PriorBeta = RerankerDefaults.PriorBeta);

/// <summary>
/// Gives exploration slots within the page to candidates from beyond it (not otherwise shown), moving them into the
/// slot and shifting the rest down. The draws depend only on <see cref="RerankContext.Seed"/> (and, for Thompson,
/// the counts), so a request replays exactly. Placed candidates are marked <see cref="Candidate.Explored"/>.
/// Slots held by pinned candidates are skipped; pinned candidates are never drawn.
/// </summary>
public sealed class ExplorationReranker : IReranker
{
    private const string Stage = "rerank:explore";
    private const ulong Salt = 0x6578706C6F726531UL;
    private readonly ExplorationOptions _options;
    private readonly IExplorationStats? _stats;

    /// <summary>Creates the re-ranker.</summary>
    /// <param name="options">Options; null for defaults.</param>
    /// <param name="stats">Impression and click counts; required for Thompson sampling.</param>
    /// <exception cref="ArgumentException">An option is out of range, or Thompson sampling has no stats.</exception>
    public ExplorationReranker(ExplorationOptions? options = null, IExplorationStats? stats = null)
    {
        _options = options ?? new ExplorationOptions();
        var o = _options;
        if (!Enum.IsDefined(o.Strategy))
        {
            throw new ArgumentException($"Exploration Strategy {(int)o.Strategy} is not EpsilonGreedy or Thompson.", nameof(options));
        }
        if (o.Positions is { } positions)
        {
            var seen = new HashSet<int>();
            foreach (int p in positions)
            {
                if (p < 0)
                {
                    throw new ArgumentException($"Exploration Positions must be 0-based positions; got {p}.", nameof(options));
                }
                if (!seen.Add(p))
                {
                    throw new ArgumentException($"Exploration position {p} is listed twice.", nameof(options));
                }
            }
        }
        if (!(o.Fraction is >= 0 and <= 1))
        {
            throw new ArgumentException($"Exploration Fraction must be in [0, 1]; got {o.Fraction}.", nameof(options));
        }
        if (!(o.Epsilon is >= 0 and <= 1))
        {
            throw new ArgumentException($"Exploration Epsilon must be in [0, 1]; got {o.Epsilon}.", nameof(options));
        }
        if (o.PoolSize < 1)
        {
            throw new ArgumentException($"Exploration PoolSize must be at least 1; got {o.PoolSize}.", nameof(options));
        }
        if (!(o.PriorAlpha > 0 && double.IsFinite(o.PriorAlpha)) || !(o.PriorBeta > 0 && double.IsFinite(o.PriorBeta)))
        {
            throw new ArgumentException($"Exploration PriorAlpha and PriorBeta must be positive and finite; got {o.PriorAlpha} and {o.PriorBeta}.", nameof(options));
        }
        if (o.Strategy == ExplorationStrategy.Thompson && stats is null)
        {
            throw new ArgumentException("Thompson-sampling exploration needs impression and click counts: pass an IExplorationStats.", nameof(stats));
        }
        _stats = stats;
    }

    /// <summary>The options in force.</summary>
    public ExplorationOptions Options => _options;

    /// <inheritdoc/>
    public string Name => "explore";

    /// <summary>The 0-based slot positions for a page of <paramref name="pageSize"/> items, ascending.</summary>
    /// <param name="pageSize">Page size.</param>
    public IReadOnlyList<int> SlotPositions(int pageSize)
    {
        if (_options.Positions is { } positions)
        {
            return [.. positions.Where(p => p < pageSize).Order()];
        }
        int k = (int)Math.Round(_options.Fraction * pageSize, MidpointRounding.AwayFromZero);
        k = Math.Min(k, pageSize - 1);
        var slots = new int[Math.Max(k, 0)];
        for (int i = 0; i < slots.Length; i++)
        {
            slots[i] = (int)((long)(i + 1) * pageSize / (k + 1));
        }
        return slots;
    }

    /// <inheritdoc/>
    public void Rerank(RerankContext context, List<Candidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        if (context.PageSize <= 0 || candidates.Count <= 1)
        {
            return;
        }
        var slots = SlotPositions(context.PageSize);
        if (slots.Count == 0 || (_options.Strategy == ExplorationStrategy.EpsilonGreedy && _options.Epsilon == 0))
        {
            return;
        }
        var layout = PinnedLayout.Split(candidates);
        var free = layout.Free;
        int pinnedInPage = 0;
        foreach (var (p, _) in layout.Pinned)
        {
            if (p < context.PageSize)
            {
                pinnedInPage++;
            }
        }
        int pageEnd = Math.Max(0, context.PageSize - pinnedInPage);
        var pool = new List<Candidate>();
        for (int i = pageEnd; i < free.Count && pool.Count < _options.PoolSize; i++)
        {
            if (!free[i].Explored)
            {
                pool.Add(free[i]);
            }
        }
        if (pool.Count == 0)
        {
            return;
        }
        var random = new RerankRandom(context.Seed, Salt);
        var ranked = _options.Strategy == ExplorationStrategy.Thompson ? ThompsonOrder(context, pool, ref random) : null;
        int nextRanked = 0;
        int poolSize = pool.Count;
        var eligible = new List<int>(slots.Count);
        var placed = new HashSet<Candidate>();
        foreach (int slot in slots)
        {
            int at = layout.FreeIndex(slot);
            if (at < 0 || at >= free.Count)
            {
                continue;
            }
            eligible.Add(at);
            if (pool.Count == 0)
            {
                continue;
            }
            Candidate chosen;
            string how;
            if (ranked is null)
            {
                if (random.NextDouble() >= _options.Epsilon)
                {
                    continue;
                }
                int pick = random.Next(pool.Count);
                chosen = pool[pick];
                pool.RemoveAt(pick);
                how = $"ε-greedy draw (ε {_options.Epsilon:0.###}) from {pool.Count + 1} candidates beyond the page";
            }
            else
            {
                if (nextRanked >= ranked.Count)
                {
                    break;
                }
                var (c, theta, shown, clicked) = ranked[nextRanked++];
                chosen = c;
                how = $"Thompson draw {theta:0.####} from Beta({_options.PriorAlpha:0.##} + {clicked}, {_options.PriorBeta:0.##} + {shown - clicked})";
            }
            int from = free.IndexOf(chosen);
            free.RemoveAt(from);
            free.Insert(at, chosen);
            chosen.Explored = true;
            placed.Add(chosen);
            chosen.Explain(Stage, () => $"exploration slot {slot}, from {from} (free rank): {how}");
        }
        layout.Merge(candidates);
        SetPropensities(context.PageSize, candidates, eligible, poolSize, placed);
    }

    /// <summary>
    /// Records on each candidate within the page the probability that this re-ranker put it at its position, given
    /// the order it was handed (docs/experiments.md derives it). In free ranks (pins removed), with eligible slots
    /// a₁ &lt; … &lt; aₘ, pool size n and B_j = min(Binomial(j − 1, ε), n) explorations before slot j: the item drawn into
    /// slot aⱼ has probability ε · P(B_j &lt; n) / n; an item at free rank q that the draws left alone, with b explored
    /// items above it (so it came from rank q − b), has probability P(B = b) over the slots above q, times
    /// 1 − ε · 1[b &lt; n] when q is itself a slot. Pinned items have probability 1. Thompson sampling: slots always
    /// explore while the pool lasts, so unexplored items have probability 1 and a drawn item's is unknown (null).
    /// </summary>
    private void SetPropensities(int pageSize, List<Candidate> candidates, List<int> slots, int poolSize, HashSet<Candidate> placed)
    {
        bool thompson = _options.Strategy == ExplorationStrategy.Thompson;
        double epsilon = _options.Epsilon;
        // before[j][b] = P(B_j = b): the distribution of explorations among the eligible slots before slot j.
        var before = new double[slots.Count + 1][];
        before[0] = new double[poolSize + 1];
        before[0][0] = 1;
        for (int j = 0; j < slots.Count; j++)
        {
            var next = new double[poolSize + 1];
            for (int b = 0; b <= poolSize; b++)
            {
                if (b < poolSize)
                {
                    next[b] += before[j][b] * (1 - epsilon);
                    next[b + 1] += before[j][b] * epsilon;
                }
                else
                {
                    next[b] += before[j][b];
                }
            }
            before[j + 1] = next;
        }
        int q = -1, explored = 0, slotIndex = 0;
        for (int position = 0; position < Math.Min(pageSize, candidates.Count); position++)
        {
            var c = candidates[position];
            if (c.Pinned)
            {
                c.SetPropensity(position, 1);
                continue;
            }
            q++;
            while (slotIndex < slots.Count && slots[slotIndex] < q)
            {
                slotIndex++;
            }
            bool isSlot = slotIndex < slots.Count && slots[slotIndex] == q;
            var d = before[slotIndex];
            double below = 1 - d[poolSize]; // P(B_j < n): the pool still has items
            double? p;
            if (placed.Contains(c))
            {
                p = thompson ? null : epsilon * below / poolSize;
                explored++;
            }
            else if (thompson)
            {
                p = 1;
            }
            else
            {
                int b = explored;
                p = d[b] * (isSlot ? 1 - (b < poolSize ? epsilon : 0) : 1);
            }
            // Rounding can only nudge a probability past 1; an impossible 0 (a bug) is logged as unknown.
            c.SetPropensity(position, p is { } v ? (v > 0 ? Math.Min(v, 1) : null) : null);
        }
    }

    private List<(Candidate Candidate, double Theta, long Impressions, long Clicks)> ThompsonOrder(
        RerankContext context, List<Candidate> pool, ref RerankRandom random)
    {
        int n = pool.Count;
        var indices = new int[n];
        var impressions = new long[n];
        var clicks = new long[n];
        for (int i = 0; i < n; i++)
        {
            indices[i] = pool[i].Item;
        }
        _stats!.Fill(context.Items, indices, impressions, clicks);
        var drawn = new List<(Candidate, double, long, long)>(n);
        for (int i = 0; i < n; i++)
        {
            long shown = Math.Max(0, impressions[i]);
            long clicked = Math.Clamp(clicks[i], 0, shown);
            double theta = random.NextBeta(_options.PriorAlpha + clicked, _options.PriorBeta + (shown - clicked));
            drawn.Add((pool[i], theta, shown, clicked));
        }
        // Stable: equal draws keep pool (rank) order.
        var order = Enumerable.Range(0, n).OrderByDescending(i => drawn[i].Item2).ThenBy(i => i);
        return [.. order.Select(i => drawn[i])];
    }
}
