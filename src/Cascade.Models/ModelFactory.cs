namespace Cascade.Models;

/// <summary>A model built outside this assembly, given to a <see cref="ModelCatalog"/>: its name, help line and constructor.</summary>
public sealed class ModelFactory
{
    /// <summary>Describes a model.</summary>
    /// <param name="name">The model name as written in a <see cref="ModelSpec"/> (lower-cased).</param>
    /// <param name="description">One help line: the parameters it takes.</param>
    /// <param name="create">Creates the unfitted model from a spec and a seed; throws <see cref="ArgumentException"/> on a bad spec.</param>
    public ModelFactory(string name, string description, Func<ModelSpec, int, IRecommender> create)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        ArgumentNullException.ThrowIfNull(description);
        ArgumentNullException.ThrowIfNull(create);
        Name = name.Trim().ToLowerInvariant();
        Description = description;
        Create = create;
    }

    /// <summary>The lower-case model name.</summary>
    public string Name { get; }

    /// <summary>One help line: the parameters it takes.</summary>
    public string Description { get; }

    /// <summary>Creates the unfitted model from a spec and a seed.</summary>
    public Func<ModelSpec, int, IRecommender> Create { get; }
}
