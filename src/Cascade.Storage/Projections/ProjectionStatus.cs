namespace Cascade.Storage.Projections;

/// <summary>How far one projection has applied the log, for readiness, stats and tests.</summary>
/// <param name="Name">The projection's name.</param>
/// <param name="AppliedSequence">The newest record applied.</param>
/// <param name="Lag">Records in the log that it has not applied yet.</param>
/// <param name="RecordsApplied">Records applied since the engine opened (skipped ones not counted).</param>
/// <param name="ApplyMilliseconds">Time spent applying since the engine opened.</param>
/// <param name="Fault">The error that stopped it, or null while it is healthy.</param>
public sealed record ProjectionStatus(string Name, long AppliedSequence, long Lag, long RecordsApplied, double ApplyMilliseconds, string? Fault);
