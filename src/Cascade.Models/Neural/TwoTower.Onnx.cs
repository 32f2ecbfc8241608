using Cascade.Models.Onnx;

namespace Cascade.Models.Neural;

/// <summary>Which tower of a <see cref="TwoTower"/> an ONNX export holds.</summary>
public enum TwoTowerSide
{
    /// <summary>The user tower: history and attribute pooling weights → the packed user vector (u, 1).</summary>
    User,

    /// <summary>The item tower: item id and feature pooling weights → the packed item vector (v, β).</summary>
    Item,
}

/// <summary>Export of one tower as an ONNX graph.</summary>
public sealed partial class TwoTower
{
    /// <summary>
    /// Writes one tower as an ONNX graph (opset 13) whose output is the packed vector this model serves, so that
    /// u·v is the model's score.
    /// <list type="bullet">
    /// <item>Item tower: inputs <c>item</c> (int64 [N], dense id, −1 for an item the model was not trained on) and, when
    /// the model has item features, <c>item_features</c> (float [N, features]: 1/k on each of the item's k features);
    /// output <c>item_vector</c> (float [N, dimension + 1]).</item>
    /// <item>User tower: inputs <c>history</c> (float [N, items]: n^−α on each of the user's last n items, α the pooling
    /// exponent) and, when the model has user features, <c>user_features</c> (float [N, features]: 1/k on each);
    /// output <c>user_vector</c> (float [N, dimension + 1]). This is the path of <see cref="EmbedUser"/>: the user-id rows,
    /// which only users seen in training have, are not exported.</item>
    /// </list>
    /// </summary>
    /// <param name="stream">Destination.</param>
    /// <param name="side">Which tower.</param>
    /// <exception cref="InvalidOperationException">The model is not fitted.</exception>
    public void ExportOnnx(Stream stream, TwoTowerSide side)
    {
        ArgumentNullException.ThrowIfNull(stream);
        EnsureFitted();
        var network = Network;
        int d = Options.Dimension;
        var g = new OnnxGraphBuilder(side == TwoTowerSide.Item ? "two_tower_item" : "two_tower_user");
        string h;
        string output;
        string last;
        g.Initializer("axis_1", [1L], 1);
        if (side == TwoTowerSide.Item)
        {
            int items = ItemCount;
            g.Input("item", OnnxElementType.Int64, -1);
            // Row 0 of the padded tables is "no id": a zero embedding and the mean bias, as EmbedItem gives a new item.
            var ids = new float[(items + 1) * d];
            network.ItemId.Values.AsSpan(0, items * d).CopyTo(ids.AsSpan(d));
            var bias = new float[items + 1];
            network.ItemBias.Values.AsSpan(0, items).CopyTo(bias.AsSpan(1));
            bias[0] = items > 0 ? network.ItemBias.Values.Average() : 0f;
            g.Initializer("item_ids", ids, items + 1, d);
            g.Initializer("item_bias", bias, items + 1);
            g.Initializer("one_i64", [1L]);
            g.Node("Add", ["item", "one_i64"], "item_row");
            h = g.Node("Gather", ["item_ids", "item_row"], "h_id", intAttributes: [("axis", 0)]);
            h = Pooled(g, h, "item_features", "item_feature_table", network.ItemFeature.Values, _itemFeatures.FeatureCount, d);
            g.Node("Gather", ["item_bias", "item_row"], "beta");
            last = g.Node("Unsqueeze", ["beta", "axis_1"], "beta_column");
            output = "item_vector";
            h = Project(g, h, network.ItemProjection.Values, d, "item");
        }
        else
        {
            g.Input("history", OnnxElementType.Float, -1, ItemCount);
            g.Initializer("history_table", network.History.Values, ItemCount, d);
            h = g.Node("MatMul", ["history", "history_table"], "h_history");
            h = Pooled(g, h, "user_features", "user_feature_table", network.UserAttribute.Values, _userFeatures.FeatureCount, d);
            h = Project(g, h, network.UserProjection.Values, d, "user");
            // The constant 1 that pairs with the item bias: a [N, 1] column of ones.
            g.Node("Shape", [h], "h_shape");
            g.Initializer("zero_i64", [0L], 1);
            g.Node("Slice", ["h_shape", "zero_i64", "axis_1"], "batch");
            g.Node("Concat", ["batch", "axis_1"], "ones_shape", intAttributes: [("axis", 0)]);
            g.Initializer("one_f", [1f], 1);
            last = g.Node("Expand", ["one_f", "ones_shape"], "ones");
            output = "user_vector";
        }
        g.Node("Concat", [h, last], output, intAttributes: [("axis", 1)]);
        g.Output(output, OnnxElementType.Float, -1, d + 1);
        g.Metadata("cascade.kind", KindName);
        g.Metadata("cascade.tower", side == TwoTowerSide.Item ? "item" : "user");
        g.WriteTo(stream);
    }

    /// <summary>h + weights · table when the model has features of this kind (the input is declared only then).</summary>
    private static string Pooled(OnnxGraphBuilder g, string h, string input, string table, float[] values, int features, int d)
    {
        if (features == 0)
        {
            return h;
        }
        g.Input(input, OnnxElementType.Float, -1, features);
        g.Initializer(table, values.AsSpan(0, features * d), features, d);
        g.Node("MatMul", [input, table], $"{input}_pooled");
        return g.Node("Add", [h, $"{input}_pooled"], $"h_{input}");
    }

    /// <summary>h Wᵀ (the projection is row-major d × d, output r = W_r · h), then unit length when the model normalises.</summary>
    private string Project(OnnxGraphBuilder g, string h, float[] w, int d, string side)
    {
        var transposed = new float[d * d];
        for (int r = 0; r < d; r++)
        {
            for (int c = 0; c < d; c++)
            {
                transposed[(c * d) + r] = w[(r * d) + c];
            }
        }
        g.Initializer($"{side}_projection", transposed, d, d);
        string projected = g.Node("MatMul", [h, $"{side}_projection"], $"{side}_projected");
        if (!Options.NormaliseOutputs)
        {
            return projected;
        }
        // Divide by the norm where it is positive; a zero vector stays zero (as NormaliseInPlace).
        g.Node("Mul", [projected, projected], $"{side}_squares");
        g.Initializer($"{side}_axes", [1L], 1);
        g.Node("ReduceSum", [$"{side}_squares", $"{side}_axes"], $"{side}_sum", intAttributes: [("keepdims", 1)]);
        g.Node("Sqrt", [$"{side}_sum"], $"{side}_norm");
        g.Initializer($"{side}_zero", [0f]);
        g.Initializer($"{side}_one", [1f]);
        g.Node("Equal", [$"{side}_norm", $"{side}_zero"], $"{side}_is_zero");
        g.Node("Where", [$"{side}_is_zero", $"{side}_one", $"{side}_norm"], $"{side}_divisor");
        return g.Node("Div", [projected, $"{side}_divisor"], $"{side}_unit");
    }
}
