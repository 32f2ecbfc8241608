namespace Cascade.Ann;

/// <summary>
/// How closeness between two vectors is measured. Every index reports a distance where smaller is closer.
/// </summary>
public enum DistanceMetric
{
    /// <summary>Squared Euclidean distance, Σ (aᵢ − bᵢ)².</summary>
    L2 = 0,

    /// <summary>Inner-product distance, 1 − a·b (maximum inner product search).</summary>
    InnerProduct = 1,

    /// <summary>Cosine distance, 1 − a·b / (‖a‖‖b‖). Vectors are normalised when added and queries when searched.</summary>
    Cosine = 2,
}
