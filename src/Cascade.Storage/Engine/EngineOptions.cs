using Cascade.Core.Domain;
using Cascade.Core;
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

    /// <summary>The folder of the event log.</summary>
    public string LogDirectory => Path.Combine(DataDirectory, "log");

    /// <summary>The path of the embedded catalog database.</summary>
    public string CatalogPath => Path.Combine(DataDirectory, "catalog.db");

    /// <summary>The folder of trained models.</summary>
    public string ModelDirectory => Path.Combine(DataDirectory, "models");

    /// <summary>Checks the options and returns them.</summary>
    public EngineOptions Validate()
    {
        Guard.NotBlank(DataDirectory);
        Log.Validate();
        return this;
    }
}
