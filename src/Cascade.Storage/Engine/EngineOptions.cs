using Cascade.Core;
using Cascade.Core.Domain;
using Cascade.Storage.Log;

namespace Cascade.Storage.Engine;

/// <summary>Where an engine keeps its state and how it writes. Defaults in one place; validated by <see cref="Validate"/>.</summary>
public sealed record EngineOptions
{
    /// <summary>The default data folder, relative to the working directory.</summary>
    public const string DefaultDataDirectory = "./cascade-data";

    /// <summary>The folder holding the log, the catalog and models. Default <see cref="DefaultDataDirectory"/>.</summary>
    public string DataDirectory { get; init; } = DefaultDataDirectory;

    /// <summary>Event log options (durability, segment size).</summary>
    public EventLogOptions Log { get; init; } = new();

    /// <summary>The accepted event types.</summary>
    public EventTypeRegistry EventTypes { get; init; } = EventTypeRegistry.Default;

    /// <summary>The default <see cref="ApplyInterval"/>.</summary>
    public static readonly TimeSpan DefaultApplyInterval = TimeSpan.FromMilliseconds(20);

    /// <summary>
    /// How long the applier lets appends gather after the first one before it applies them to the projections, so a
    /// busy server commits derived stores in batches rather than once per request. A caller that waits for a
    /// projection (<see cref="CascadeEngine.WaitForAsync(Projections.ILogProjection, long, CancellationToken)"/>) is
    /// served at once. Zero applies every append at once. Default 20 ms; at most 1 s.
    /// </summary>
    public TimeSpan ApplyInterval { get; init; } = DefaultApplyInterval;

    /// <summary>
    /// What to do when the log does not hold what a derived store (the catalog, a checkpoint) was built from — the
    /// log was cut shorter, emptied or replaced while the engine was down. False (the default): refuse to open with
    /// <see cref="LogMismatchException"/>, changing nothing. True (<c>cascade recover --yes</c>): accept the log as it
    /// is, discard those stores and derive them again from it, and report the loss in <see cref="CascadeEngine.Repairs"/>.
    /// </summary>
    public bool AcceptLogAsIs { get; init; }

    /// <summary>The folder of the event log.</summary>
    public string LogDirectory => Path.Combine(DataDirectory, "log");

    /// <summary>The path of the embedded catalog database.</summary>
    public string CatalogPath => Path.Combine(DataDirectory, "catalog.db");

    /// <summary>The checkpoint file of the projection named <paramref name="projection"/> (rewritten after trainings and at close).</summary>
    /// <param name="projection">The projection's name.</param>
    public string CheckpointPathOf(string projection) => Path.Combine(DataDirectory, projection + ".ckpt");

    /// <summary>The checkpoint of the training interactions projection.</summary>
    public string InteractionsCheckpointPath => CheckpointPathOf("interactions");

    /// <summary>The folder of trained models.</summary>
    public string ModelDirectory => Path.Combine(DataDirectory, "models");

    /// <summary>Checks the options and returns them.</summary>
    public EngineOptions Validate()
    {
        Guard.NotBlank(DataDirectory);
        if (ApplyInterval < TimeSpan.Zero || ApplyInterval > TimeSpan.FromSeconds(1))
        {
            throw new ArgumentOutOfRangeException(nameof(ApplyInterval), ApplyInterval, $"ApplyInterval {ApplyInterval.TotalMilliseconds} ms must be between 0 and 1 s.");
        }
        Log.Validate();
        return this;
    }
}
