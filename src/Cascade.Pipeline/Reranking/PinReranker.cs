namespace Cascade.Pipeline.Reranking;

/// <summary>One pin: item <paramref name="ItemId"/> goes to 0-based <paramref name="Position"/>.</summary>
/// <param name="ItemId">External item id.</param>
/// <param name="Position">0-based position in the final list.</param>
public sealed record Pin(string ItemId, int Position);

/// <summary>Options of <see cref="PinReranker"/>.</summary>
/// <param name="Pins">The pins; item ids and positions must each be distinct.</param>
/// <param name="InsertMissing">
/// When a pinned item is not among the candidates: true inserts it (when it is servable at the request time), false
/// skips the pin. An inserted item has score 0 and bypasses every filter but hidden and expired (e.g. already-seen), so it suits promotions.
/// </param>
public sealed record PinOptions(IReadOnlyList<Pin> Pins, bool InsertMissing = false);

/// <summary>
/// Moves given items to given positions and marks them <see cref="Candidate.Pinned"/>. Ordering rule: a pinned
/// candidate keeps its position through every later re-ranker (they reorder, drop or insert only around pins), so a
/// pin placed early wins over diversity, caps, de-duplication, boosts and exploration. A position past the end of the
/// list places the item last. A pin whose position an earlier pin already holds takes the next free position.
/// </summary>
public sealed class PinReranker : IReranker
{
    private const string Stage = "rerank:pin";
    private readonly PinOptions _options;
    private readonly Pin[] _byPosition;

    /// <summary>Creates the re-ranker.</summary>
    /// <param name="options">Options.</param>
    /// <exception cref="ArgumentException">A pin is malformed, or two pins share an item or a position.</exception>
    public PinReranker(PinOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(options.Pins, "options.Pins");
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var positions = new HashSet<int>();
        for (int i = 0; i < options.Pins.Count; i++)
        {
            var pin = options.Pins[i] ?? throw new ArgumentException($"Pin {i} is null.", nameof(options));
            if (string.IsNullOrEmpty(pin.ItemId))
            {
                throw new ArgumentException($"Pin {i} has an empty ItemId.", nameof(options));
            }
            if (pin.Position < 0)
            {
                throw new ArgumentException($"Pin {i} (item '{pin.ItemId}') has Position {pin.Position}; positions start at 0.", nameof(options));
            }
            if (!ids.Add(pin.ItemId))
            {
                throw new ArgumentException($"Item '{pin.ItemId}' is pinned twice.", nameof(options));
            }
            if (!positions.Add(pin.Position))
            {
                throw new ArgumentException($"Position {pin.Position} is pinned twice (item '{pin.ItemId}').", nameof(options));
            }
        }
        _options = options;
        _byPosition = [.. options.Pins.OrderBy(p => p.Position)];
    }

    /// <summary>The options in force.</summary>
    public PinOptions Options => _options;

    /// <inheritdoc/>
    public string Name => "pin";

    /// <inheritdoc/>
    public void Rerank(RerankContext context, List<Candidate> candidates)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(candidates);
        if (_byPosition.Length == 0)
        {
            return;
        }
        var items = context.Items;
        var layout = PinnedLayout.Split(candidates);
        var held = new HashSet<int>();
        foreach (var (p, _) in layout.Pinned)
        {
            held.Add(p);
        }
        foreach (var pin in _byPosition)
        {
            int item = items.IndexOf(pin.ItemId);
            if (item < 0)
            {
                continue;
            }
            var candidate = Take(layout, item);
            if (candidate is null)
            {
                if (!_options.InsertMissing || !items.IsServable(item, context.NowMs))
                {
                    continue;
                }
                candidate = new Candidate(item, 0f, "pin");
                if (context.Explain)
                {
                    candidate.StartTrail();
                }
            }
            else if (candidate.Pinned)
            {
                // Already pinned by an earlier rule: that pin stands.
                continue;
            }
            int position = pin.Position;
            while (held.Contains(position))
            {
                position++;
            }
            held.Add(position);
            candidate.Pinned = true;
            int at = layout.Pinned.FindIndex(x => x.Position > position);
            layout.Pinned.Insert(at < 0 ? layout.Pinned.Count : at, (position, candidate));
            candidate.Explain(Stage, () => $"pinned to position {position}");
        }
        layout.Merge(candidates);
    }

    private static Candidate? Take(PinnedLayout layout, int item)
    {
        int i = layout.Free.FindIndex(c => c.Item == item);
        if (i >= 0)
        {
            var c = layout.Free[i];
            layout.Free.RemoveAt(i);
            return c;
        }
        return layout.Pinned.Find(x => x.Candidate.Item == item).Candidate;
    }
}
