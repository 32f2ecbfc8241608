using Cascade.Models.Onnx;

namespace Cascade.Ranking.Neural.Dcn;

/// <summary>The inference graph as ONNX: the same operations as <see cref="PredictBlock"/>, batch norm folded.</summary>
internal sealed partial class DcnV2Network
{
    /// <summary>Input of the exported graph holding the categorical codes, int64 [N, fields].</summary>
    public const string OnnxCategoricalInput = "categorical";

    /// <summary>Input of the exported graph holding the numeric values, float [N, numeric] (NaN = missing).</summary>
    public const string OnnxNumericInput = "numeric";

    /// <summary>Output of the exported graph: the click probability, float [N].</summary>
    public const string OnnxOutput = "probability";

    /// <summary>
    /// Builds the graph: codes + field offsets → Gather from the embedding table → [N, F·d]; numeric values z-scored with
    /// NaN → 0 and the is-missing flags; x0 their concatenation; cross layers x ← x0 ⊙ (x W + b) + x; ReLU layers with the
    /// folded batch norm; a sigmoid over the output layer.
    /// </summary>
    public OnnxGraphBuilder ToOnnx(FeatureSchema schema)
    {
        var g = new OnnxGraphBuilder("dcnv2");
        int d = InputDimension, dim = EmbeddingDimension;
        var parts = new List<string>();
        if (Fields > 0)
        {
            g.Input(OnnxCategoricalInput, OnnxElementType.Int64, -1, Fields);
            long[] offsets = new long[Fields];
            for (int f = 0; f < Fields; f++)
            {
                offsets[f] = _fieldOffsets[f];
            }
            g.Initializer("field_offsets", offsets, Fields);
            g.Initializer("embeddings", Embeddings, Vocabulary, dim);
            g.Node("Add", [OnnxCategoricalInput, "field_offsets"], "rows");
            g.Node("Gather", ["embeddings", "rows"], "embedded", intAttributes: [("axis", 0)]);
            g.Initializer("embedded_shape", [-1L, (long)Fields * dim], 2);
            parts.Add(g.Node("Reshape", ["embedded", "embedded_shape"], "embedded_flat"));
        }
        if (NumericCount > 0)
        {
            int n = NumericCount;
            g.Input(OnnxNumericInput, OnnxElementType.Float, -1, n);
            g.Initializer("numeric_mean", NumericMean, n);
            g.Initializer("numeric_scale", NumericScale, n);
            g.Initializer("zero", [0f]);
            g.Node("IsNaN", [OnnxNumericInput], "missing");
            g.Node("Sub", [OnnxNumericInput, "numeric_mean"], "centred");
            g.Node("Mul", ["centred", "numeric_scale"], "scaled");
            parts.Add(g.Node("Where", ["missing", "zero", "scaled"], "numeric_z"));
            parts.Add(g.Node("Cast", ["missing"], "missing_flags", intAttributes: [("to", (long)OnnxElementType.Float)]));
        }
        string x0 = g.Node("Concat", [.. parts], "x0", intAttributes: [("axis", 1)]);
        string x = x0;
        for (int l = 0; l < CrossLayers; l++)
        {
            g.Initializer($"cross{l}_w", Parameters.AsSpan(_crossW[l], d * d), d, d);
            g.Initializer($"cross{l}_b", Parameters.AsSpan(_crossB[l], d), d);
            g.Node("MatMul", [x, $"cross{l}_w"], $"cross{l}_xw");
            g.Node("Add", [$"cross{l}_xw", $"cross{l}_b"], $"cross{l}_u");
            g.Node("Mul", [x0, $"cross{l}_u"], $"cross{l}_x0u");
            x = g.Node("Add", [$"cross{l}_x0u", x], $"cross{l}_out");
        }
        string h = Structure == DcnStructure.Parallel ? x0 : x;
        for (int k = 0; k < DeepLayers; k++)
        {
            int width = Hidden[k];
            g.Initializer($"deep{k}_w", Parameters.AsSpan(_deepW[k], _deepIn[k] * width), _deepIn[k], width);
            g.Initializer($"deep{k}_b", Parameters.AsSpan(_deepB[k], width), width);
            g.Node("MatMul", [h, $"deep{k}_w"], $"deep{k}_hw");
            string z = g.Node("Add", [$"deep{k}_hw", $"deep{k}_b"], $"deep{k}_z");
            if (BatchNorm)
            {
                g.Initializer($"deep{k}_scale", InferenceScale.AsSpan(_statOffset[k], width), width);
                g.Initializer($"deep{k}_shift", InferenceShift.AsSpan(_statOffset[k], width), width);
                g.Node("Mul", [z, $"deep{k}_scale"], $"deep{k}_zs");
                z = g.Node("Add", [$"deep{k}_zs", $"deep{k}_shift"], $"deep{k}_bn");
            }
            h = g.Node("Relu", [z], $"deep{k}_out");
        }
        var head = new List<string>();
        if (DeepLayers == 0 || Structure == DcnStructure.Parallel)
        {
            head.Add(x);
        }
        if (DeepLayers > 0)
        {
            head.Add(h);
        }
        string last = head.Count == 1 ? head[0] : g.Node("Concat", [.. head], "head", intAttributes: [("axis", 1)]);
        g.Initializer("out_w", Parameters.AsSpan(OutW, OutputInput), OutputInput, 1);
        g.Initializer("out_b", Parameters.AsSpan(OutB, 1), 1);
        g.Node("MatMul", [last, "out_w"], "out_xw");
        g.Node("Add", ["out_xw", "out_b"], "logit");
        g.Node("Sigmoid", ["logit"], "probability_column");
        g.Initializer("probability_shape", [-1L], 1);
        g.Node("Reshape", ["probability_column", "probability_shape"], OnnxOutput);
        g.Output(OnnxOutput, OnnxElementType.Float, -1);

        // The mapping an ONNX ranker takes by default: every categorical field and numeric column, in schema order.
        g.Metadata("cascade.kind", DeepCrossNetworkV2.KindName);
        if (Fields > 0)
        {
            g.Metadata($"cascade.input.{OnnxCategoricalInput}", string.Join('+', schema.Categorical.Select(c => c.Name)));
        }
        if (NumericCount > 0)
        {
            g.Metadata($"cascade.input.{OnnxNumericInput}", string.Join('+', schema.Numeric));
        }
        g.Metadata("cascade.output", OnnxOutput);
        g.Metadata("cascade.probability", "true");
        return g;
    }
}
