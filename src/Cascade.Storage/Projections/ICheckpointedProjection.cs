namespace Cascade.Storage.Projections;

/// <summary>
/// A projection that saves its state to a file of its own and resumes from it when opened, so a restart applies only
/// the records after the checkpoint. The engine checkpoints every attached one at
/// <see cref="Engine.CascadeEngine.CheckpointProjections"/> (after each training) and when it closes.
/// </summary>
public interface ICheckpointedProjection : ILogProjection
{
    /// <summary>Writes the checkpoint (safe while the applier runs); returns the sequence it holds.</summary>
    long Checkpoint();
}
