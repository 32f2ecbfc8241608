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
    private string[] _sources;
    private SourceHit _firstHit;
    private SourceHit[]? _moreHits;
    private int _hitCount;

    /// <summary>Creates a candidate.</summary>
    /// <param name="item">Dense item index in the item table.</param>
    /// <param name="score">Initial score (the proposing source's score).</param>
    /// <param name="source">The proposing source's name.</param>
    public Candidate(int item, float score, string source)
        : this(item, score, [source])
    {
    }

    // The merge stage hands in one shared one-name array per source, so a candidate costs no list of its own until a
    // second source proposes it (the request path makes about a thousand candidates per request).
    internal Candidate(int item, float score, string[] sources)
    {
        Item = item;
        Score = score;
        RetrievalScore = score;
        _sources = sources;
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
    public IReadOnlyList<string> Sources => _sources;

    /// <summary>Every source's proposal of this item (the ranker's features read them).</summary>
    public HitList Hits => new(this);

    /// <summary>True when the item holds an exploration slot (it was placed for exploration, not by score).</summary>
    public bool Explored { get; set; }

    /// <summary>True when the item was pinned to its position by a rule.</summary>
    public bool Pinned { get; set; }

    // -1: no random re-ranker placed it, so the list is deterministic and any position has probability 1.
    private int _propensityPosition = -1;
    private double _propensity = 1;

    /// <summary>
    /// Records the probability with which a random re-ranker (exploration) put this candidate at 0-based list
    /// <paramref name="position"/>, given the order it was handed; null when the probability is not known in closed
    /// form (Thompson-sampling slots). Until a random re-ranker sets it, the candidate is deterministic (probability 1).
    /// </summary>
    /// <param name="position">The list position the probability refers to.</param>
    /// <param name="propensity">The probability, in (0, 1], or null when unknown.</param>
    /// <exception cref="ArgumentOutOfRangeException">The position is negative or the probability is outside (0, 1].</exception>
    public void SetPropensity(int position, double? propensity)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(position);
        if (propensity is { } p && !(p > 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(propensity), p, "A propensity must lie in (0, 1].");
        }
        _propensityPosition = position;
        _propensity = propensity ?? double.NaN;
    }

    /// <summary>
    /// The logging policy's probability of showing this candidate at <paramref name="position"/>: 1 when no random
    /// re-ranker placed it; the recorded probability when <paramref name="position"/> is the one it was recorded for;
    /// null when unknown (a Thompson slot, or the candidate moved after the probability was recorded).
    /// </summary>
    /// <param name="position">The 0-based position the item is shown at.</param>
    public double? PropensityAt(int position) =>
        _propensityPosition < 0 ? 1 : position == _propensityPosition && !double.IsNaN(_propensity) ? _propensity : null;

    /// <summary>The trail, when explaining (null otherwise).</summary>
    public IReadOnlyList<TrailEntry>? Trail => _trail;

    /// <summary>Records a source's proposal of the item, and the source's name when it is new to the candidate.</summary>
    /// <param name="hit">The proposal.</param>
    /// <param name="source">The proposing source's name.</param>
    public void AddHit(SourceHit hit, string source)
    {
        ArgumentNullException.ThrowIfNull(source);
        if (_hitCount == 0)
        {
            _firstHit = hit;
        }
        else
        {
            _moreHits ??= new SourceHit[2];
            if (_hitCount - 1 == _moreHits.Length)
            {
                Array.Resize(ref _moreHits, _moreHits.Length * 2);
            }
            _moreHits[_hitCount - 1] = hit;
        }
        _hitCount++;
        if (Array.IndexOf(_sources, source) < 0)
        {
            _sources = [.. _sources, source];
        }
    }

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

    /// <summary>A candidate's source hits, in the order they were added (a view; enumerating it allocates nothing).</summary>
    public readonly struct HitList : IReadOnlyList<SourceHit>
    {
        private readonly Candidate _candidate;

        internal HitList(Candidate candidate) => _candidate = candidate;

        /// <inheritdoc/>
        public int Count => _candidate._hitCount;

        /// <inheritdoc/>
        public SourceHit this[int index]
        {
            get
            {
                ArgumentOutOfRangeException.ThrowIfNegative(index);
                ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, _candidate._hitCount);
                return index == 0 ? _candidate._firstHit : _candidate._moreHits![index - 1];
            }
        }

        /// <summary>An enumerator over the hits.</summary>
        public Enumerator GetEnumerator() => new(_candidate);

        IEnumerator<SourceHit> IEnumerable<SourceHit>.GetEnumerator()
        {
            for (int i = 0; i < Count; i++)
            {
                yield return this[i];
            }
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => ((IEnumerable<SourceHit>)this).GetEnumerator();

        /// <summary>Enumerates a candidate's hits without allocating.</summary>
        public struct Enumerator
        {
            private readonly Candidate _candidate;
            private int _index;

            internal Enumerator(Candidate candidate)
            {
                _candidate = candidate;
                _index = -1;
            }

            /// <summary>The current hit.</summary>
            public readonly SourceHit Current => _index == 0 ? _candidate._firstHit : _candidate._moreHits![_index - 1];

            /// <summary>Moves to the next hit.</summary>
            public bool MoveNext() => ++_index < _candidate._hitCount;
        }
    }
}
