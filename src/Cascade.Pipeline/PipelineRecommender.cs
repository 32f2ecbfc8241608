using Cascade.Core;
using Cascade.Models;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline;

/// <summary>
/// The configured multi-stage pipeline as one <see cref="IRecommender"/>, so offline evaluation trains and scores it
/// like any single model (<c>cascade evaluate --models pipeline</c>): Fit builds the pipeline on the training matrix
/// (its items are the matrix's columns, with their categories, tags, attributes and creation times from an item file
/// when one is given, joined by external id), Recommend runs every stage without budgets.
/// </summary>
/// <param name="options">The pipeline configuration (null: <see cref="PipelineOptions.Default"/>).</param>
/// <param name="seed">Seed of models and sampling.</param>
/// <param name="itemsPath">A JSON Lines catalog (<see cref="ItemFile"/>) whose attributes the pipeline sees, or null (items without attributes).</param>
public sealed class PipelineRecommender(PipelineOptions? options = null, int seed = 42, string? itemsPath = null) : IRecommender, IUsesItemIds, IUsesSplitProtocol, IReportsFitProgress
{
    private IReadOnlyList<string>? _itemIds;
    private RecommendationPipeline? _pipeline;
    private CsrMatrix? _train;
    private long _nowMs;

    /// <inheritdoc />
    public string Name => "pipeline";

    /// <inheritdoc />
    public bool IsFitted => _pipeline is not null;

    /// <inheritdoc />
    public int UserCount => _train?.Rows ?? 0;

    /// <inheritdoc />
    public int ItemCount => _train?.Columns ?? 0;

    /// <summary>The options.</summary>
    public PipelineOptions Options { get; } = options ?? PipelineOptions.Default();

    /// <summary>The fitted pipeline.</summary>
    public RecommendationPipeline Pipeline => _pipeline ?? throw new InvalidOperationException("The pipeline is not fitted.");

    /// <summary>The item file, or null.</summary>
    public string? ItemsPath { get; } = itemsPath;

    /// <inheritdoc />
    public void UseItemIds(IReadOnlyList<string> itemIds) => _itemIds = itemIds ?? throw new ArgumentNullException(nameof(itemIds));

    /// <inheritdoc />
    /// <remarks>Model selection's validation split then mirrors the test's protocol, unless the configuration names one.</remarks>
    public void UseSplitProtocol(bool testIsNewest)
    {
        if (Options.IsSelectionOn() && Options.Selection?.Validation is null)
        {
            (Options.Selection ??= new Selection.SelectionOptions()).Validation = testIsNewest ? "newest" : "random";
        }
    }

    /// <summary>The start of the fit step that reports what model selection chose.</summary>
    public const string ChosenStep = "selection chose ";

    /// <inheritdoc />
    /// <remarks>Model selection's trials (done and total in seconds of its budget), source fits, ranker training, then what selection chose (<see cref="ChosenStep"/>).</remarks>
    public Action<string, int, int>? FitProgress { private get; set; }

    /// <inheritdoc />
    /// <exception cref="InvalidOperationException">An item file is configured but the external item ids were not given (<see cref="UseItemIds"/>).</exception>
    public void Fit(CsrMatrix interactions, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(interactions);
        if (ItemsPath is not null && _itemIds is null)
        {
            throw new InvalidOperationException("The pipeline has an item file but no external item ids to join it by; call UseItemIds before Fit.");
        }
        // The attributes the re-rankers read, as serving indexes them.
        var items = ItemFile.Table(interactions.Columns, _itemIds, ItemsPath is null ? null : ItemFile.Read(ItemsPath), Options.IndexedAttributes());
        var data = new PipelineData(interactions, items);
        var progress = FitProgress is { } report ? new InlineProgress<PipelineBuildProgress>(p => report(p.Step, p.Done, p.Total)) : null;
        _pipeline = PipelineBuilder.Build(Options, data, seed, progress, cancellationToken: cancellationToken);
        if (_pipeline.Selection is { } chosen)
        {
            // What selection chose, once, so `cascade evaluate --models pipeline` can say it.
            FitProgress?.Invoke($"{ChosenStep}{chosen.Chosen} ({chosen.Metric} {chosen.Score?.ToString("0.0000", System.Globalization.CultureInfo.InvariantCulture) ?? "not measured"} on validation)", 1, 1);
        }
        _train = interactions;
        _nowMs = data.NewestTimestampMs;
    }

    /// <inheritdoc />
    public void Score(int user, Span<float> scores)
    {
        scores.Fill(float.NegativeInfinity);
        var top = Recommend(user, Math.Min(ItemCount, 1000), excludeSeen: false);
        for (int i = 0; i < top.Length; i++)
        {
            scores[top[i].Item] = top.Length - i;
        }
    }

    /// <inheritdoc />
    public Recommendation[] Recommend(int user, int k, bool excludeSeen = true)
    {
        var pipeline = Pipeline;
        var history = RecommendationPipeline.HistoryOf(_train!, user);
        // Each user's request is replayed at their last activity in the training data (what was trending then).
        long nowMs = RecommendationPipeline.LastActivityMs(_train!, user) ?? _nowMs;
        var result = pipeline.Run(new PipelineRequest(user < UserCount ? user : -1, history, k, nowMs) { ExcludeHistory = excludeSeen, Seed = (ulong)user });
        return [.. result.Items.Select(c => new Recommendation(c.Item, c.Score))];
    }

    /// <inheritdoc />
    public Recommendation[][] RecommendBatch(ReadOnlySpan<int> users, int k, bool excludeSeen = true, CancellationToken cancellationToken = default)
    {
        var list = users.ToArray();
        var results = new Recommendation[list.Length][];
        Parallel.For(0, list.Length, new ParallelOptions { CancellationToken = cancellationToken }, i => results[i] = Recommend(list[i], k, excludeSeen));
        return results;
    }

    /// <inheritdoc />
    public Recommendation[] SimilarItems(int item, int k)
    {
        foreach (var slot in Pipeline.Sources)
        {
            if (slot.Source is ItemToItemSource i2i)
            {
                return i2i.Similar(item, k);
            }
        }
        return [];
    }

    /// <inheritdoc />
    /// <exception cref="NotSupportedException">Always: a pipeline is saved as a model bundle by <c>cascade train</c>, not as one model file.</exception>
    public void Save(Stream stream) =>
        throw new NotSupportedException("A pipeline is saved as a model bundle (a directory of model files), not as a single model file.");

}
