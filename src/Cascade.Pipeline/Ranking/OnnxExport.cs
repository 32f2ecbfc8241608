using Cascade.Models.Neural;
using Cascade.Models.Serialization;
using Cascade.Ranking.Calibration;
using Cascade.Ranking.Neural;

namespace Cascade.Pipeline.Ranking;

/// <summary>
/// Writes a Cascade model file as ONNX where the graph allows: a DCN-v2 ranker (kind "dcnv2") or one tower of a
/// two-tower model (kind "two-tower"); <c>cascade export onnx</c> calls it. Other kinds are refused by name.
/// </summary>
public static class OnnxExport
{
    /// <summary>The model kinds that export.</summary>
    public static IReadOnlyList<string> Kinds { get; } = [DeepCrossNetworkV2.KindName, TwoTower.KindName];

    /// <summary>Reads <paramref name="modelPath"/> and writes its ONNX graph to <paramref name="output"/>.</summary>
    /// <param name="modelPath">A Cascade model file.</param>
    /// <param name="output">Destination of the .onnx bytes.</param>
    /// <param name="tower">For a two-tower model: which tower (required there, refused elsewhere).</param>
    /// <returns>One line saying what was written: kind, inputs, output.</returns>
    /// <exception cref="ArgumentException">The kind does not export, or <paramref name="tower"/> does not fit it.</exception>
    /// <exception cref="InvalidDataException">The model file is corrupt.</exception>
    public static string Write(string modelPath, Stream output, TwoTowerSide? tower)
    {
        ArgumentNullException.ThrowIfNull(output);
        string kind;
        using (var stream = File.OpenRead(modelPath))
        {
            kind = ModelFile.ReadContainer(stream).Kind;
        }
        if (kind == TwoTower.KindName)
        {
            if (tower is not { } side)
            {
                throw new ArgumentException("A two-tower model exports one tower at a time: pass --tower user or --tower item.", nameof(tower));
            }
            var model = (TwoTower)ModelFile.Load(modelPath);
            model.ExportOnnx(output, side);
            return side == TwoTowerSide.Item
                ? $"two-tower item tower: inputs item (int64 [N]){(model.ItemFeatures.FeatureCount > 0 ? $", item_features (float [N, {model.ItemFeatures.FeatureCount}])" : "")} → item_vector (float [N, {model.EmbeddingDimension}])"
                : $"two-tower user tower: inputs history (float [N, {model.ItemCount}]){(model.UserFeatures.FeatureCount > 0 ? $", user_features (float [N, {model.UserFeatures.FeatureCount}])" : "")} → user_vector (float [N, {model.EmbeddingDimension}])";
        }
        if (tower is not null)
        {
            throw new ArgumentException($"--tower applies to two-tower models; '{modelPath}' is a '{kind}' model.", nameof(tower));
        }
        if (kind == DeepCrossNetworkV2.KindName)
        {
            var ranker = (DeepCrossNetworkV2)RankerCatalog.Load(modelPath);
            ranker.ExportOnnx(output);
            var schema = ranker.Schema!;
            return $"dcnv2: inputs categorical (int64 [N, {schema.FieldCount}]: {string.Join(", ", schema.Categorical.Select(c => c.Name))}), " +
                $"numeric (float [N, {schema.NumericCount}]: {string.Join(", ", schema.Numeric)}) → probability (float [N])";
        }
        string hint = kind == CalibratedRanker.KindName ? " (a calibrated ranker: save it without --calibrate to export the network; the calibrator has no ONNX form here)" : "";
        throw new ArgumentException($"'{modelPath}' is a '{kind}' model, which does not export to ONNX{hint}; these kinds do: {string.Join(", ", Kinds)}.", nameof(modelPath));
    }
}
