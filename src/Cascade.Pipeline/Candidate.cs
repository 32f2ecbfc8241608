namespace Cascade.Pipeline;

/// <summary>One step of a candidate's trail through the pipeline, shown when a request asks to explain.</summary>
/// <param name="Stage">The stage, e.g. "source:als", "ranker", "rerank:mmr".</param>
/// <param name="Note">What the stage did, e.g. "proposed at rank 3", "moved from 2 to 5: too similar to item X".</param>
/// <param name="Score">The candidate's score after the stage.</param>
public sealed record TrailEntry(string Stage, string Note, float Score);

/// <summary>One source's proposal of a candidate.</summary>
/// <param name="Source">Index of the source in the pipeline's source list.</param>
/// <param name="Score">The source's score.</param>
/// <param name="Rank">0-based position in the source's list.</param>
public readonly record struct SourceHit(int Source, float Score, int Rank);

/// <summary>
/// An item moving through the pipeline: proposed by one or more sources, scored by the ranker, reordered by the
/// re-rankers. <see cref="Item"/> is the item's dense index in the pipeline's <see cref="ItemTable"/>.
/// </summary>
public sealed class Candidate
{
    private List<TrailEntry>? _trail;

    /// <summary>Creates a candidate.</summary>
    /// <param name="item">Dense item index in the item table.</param>
    /// <param name="score">Initial score (the proposing source's score).</param>
    /// <param name="source">The proposing source's name.</param>
    public Candidate(int item, float score, string source)
    {
        Item = item;
        Score = score;
        RetrievalScore = score;
        Sources.Add(source);
    }

    /// <summary>Dense item index in the item table.</summary>
    public int Item { get; }

    /// <summary>The best score any source gave it.</summary>
    public float RetrievalScore { get; set; }

    /// <summary>The current score: retrieval score until the ranker scores it, then the ranker's score adjusted by re-rankers.</summary>
    public float Score { get; set; }

    /// <summary>The ranker's score before re-ranking adjustments (NaN until ranked).</summary>
    public float RankerScore { get; set; } = float.NaN;

    /// <summary>Names of the sources that proposed the item, first proposer first.</summary>
    public List<string> Sources { get; } = [];

    /// <summary>Every source's proposal of this item (the ranker's features read them).</summary>
    public List<SourceHit> Hits { get; } = [];

    /// <summary>True when the item holds an exploration slot (it was placed for exploration, not by score).</summary>
    public bool Explored { get; set; }

    /// <summary>True when the item was pinned to its position by a rule.</summary>
    public bool Pinned { get; set; }

    /// <summary>The trail, when explaining (null otherwise).</summary>
    public IReadOnlyList<TrailEntry>? Trail => _trail;

    /// <summary>Turns on the trail for this candidate.</summary>
    public void StartTrail() => _trail ??= [];

    /// <summary>Adds a trail entry when the trail is on; costs nothing otherwise.</summary>
    /// <param name="stage">Stage name.</param>
    /// <param name="note">What happened.</param>
    public void Explain(string stage, string note) => _trail?.Add(new TrailEntry(stage, note, Score));

    /// <summary>Adds a trail entry built lazily, so the string is only formatted when the trail is on.</summary>
    /// <param name="stage">Stage name.</param>
    /// <param name="note">Builds the note.</param>
    public void Explain(string stage, Func<string> note)
    {
        if (_trail is not null)
        {
            _trail.Add(new TrailEntry(stage, note(), Score));
        }
    }
}
