using Cascade.Models.Serialization;

namespace Cascade.Ranking.Trees;

/// <summary>Input checks and the model file of <see cref="GradientBoostedTrees"/>.</summary>
/// <remarks>
/// Payload (version 2; version 1 is still read) inside the <see cref="ModelFile"/> container of kind "gbdt", little-endian:
/// <code>
/// u8      objective (0 binary, 1 lambdarank)
/// i32     ndcg_at
/// schema  FeatureSchema.WriteTo
/// f64     base score (raw, before the sigmoid)
/// i32     base feature: numeric feature index whose value × base scale is added to the base score, or −1 (version 2)
/// f64     base scale (version 2)
/// f64     best validation metric (NaN without one)
/// i32     rounds trained
/// i32     T trees, i32 N nodes, i32 W categorical bitset words
/// i32[T]  root node of each tree (0, increasing, nodes of tree t are [root t, root t+1))
/// i32[T]  depth of each tree (steps from the root to its deepest leaf)
/// N ×     i32 feature (bit 31: missing goes right), f32 threshold, i32 left, i32 right, u8 flags (1 categorical,
///         2 leaf), f32 leaf value, f64 split gain, and for a categorical node i32 bitset offset, i32 bitset words
/// u64[W]  categorical bitsets: bit c set when code c goes left
/// </code>
/// Reading checks every index, so a crafted file cannot make prediction read out of range or loop.
/// </remarks>
public sealed partial class GradientBoostedTrees
{
    /// <summary>The payload version this build writes.</summary>
    public const ushort PayloadVersion = 2;

    /// <inheritdoc />
    public void Save(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var forest = _forest ?? throw new InvalidOperationException("The gbdt ranker is not fitted; nothing to save.");
        ModelFile.Write(stream, KindName, PayloadVersion, writer =>
        {
            writer.Write((byte)Options.Objective);
            writer.Write(Options.NdcgAt);
            forest.Schema.WriteTo(writer);
            writer.Write(forest.BaseScore);
            writer.Write(forest.BaseFeature);
            writer.Write(forest.BaseScale);
            writer.Write(BestValidMetric);
            writer.Write(RoundsTrained);
            writer.Write(forest.TreeCount);
            writer.Write(forest.NodeCount);
            writer.Write(forest.CatBitCount);
            for (int t = 0; t < forest.TreeCount; t++)
            {
                writer.Write(forest.Roots[t]);
            }
            for (int t = 0; t < forest.TreeCount; t++)
            {
                writer.Write(forest.Depths[t]);
            }
            for (int i = 0; i < forest.NodeCount; i++)
            {
                var node = forest.Nodes[i];
                writer.Write(node.Feature);
                writer.Write(node.Threshold);
                writer.Write(node.Left);
                writer.Write(node.Right);
                writer.Write(forest.Flags[i]);
                writer.Write(forest.Values[i]);
                writer.Write(forest.Gains[i]);
                if ((forest.Flags[i] & Forest.FlagCategorical) != 0)
                {
                    writer.Write(forest.CatOffset[i]);
                    writer.Write(forest.CatWords[i]);
                }
            }
            for (int w = 0; w < forest.CatBitCount; w++)
            {
                writer.Write(forest.CatBits[w]);
            }
        });
    }

    /// <summary>Saves to <paramref name="path"/>, replacing the file atomically.</summary>
    /// <param name="path">Destination path.</param>
    public void Save(string path)
    {
        string temp = path + ".tmp";
        using (var stream = File.Create(temp))
        {
            Save(stream);
            stream.Flush(flushToDisk: true);
        }
        File.Move(temp, path, overwrite: true);
    }

    /// <summary>Loads a model file written by <see cref="Save(Stream)"/>.</summary>
    /// <param name="stream">A stream at the start of a model file.</param>
    /// <exception cref="InvalidDataException">The file is corrupt, of another kind or of an unknown version.</exception>
    public static GradientBoostedTrees Load(Stream stream) => ModelFile.ReadPayload(stream, KindName, ReadFrom);

    /// <summary>Loads a model file from a path.</summary>
    /// <param name="path">Model file path.</param>
    public static GradientBoostedTrees Load(string path)
    {
        using var stream = File.OpenRead(path);
        return Load(stream);
    }

    /// <summary>Reads the payload of a "gbdt" model file (the catalog's reader).</summary>
    /// <param name="reader">Positioned at the payload.</param>
    /// <param name="version">The payload version from the container.</param>
    /// <exception cref="InvalidDataException">Unknown version or an inconsistent payload.</exception>
    public static GradientBoostedTrees ReadFrom(BinaryReader reader, ushort version)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (version is < 1 or > PayloadVersion)
        {
            throw new InvalidDataException($"gbdt payload version {version} is not supported; this build reads versions 1 to {PayloadVersion}.");
        }
        byte objective = reader.ReadByte();
        if (objective > (byte)GbdtObjective.LambdaRank)
        {
            throw new InvalidDataException($"gbdt objective {objective} is unknown.");
        }
        int ndcgAt = reader.ReadInt32();
        if (ndcgAt < 1)
        {
            throw new InvalidDataException($"gbdt ndcg_at {ndcgAt} is below 1.");
        }
        var schema = FeatureSchema.ReadFrom(reader);
        double baseScore = reader.ReadDouble();
        int baseFeature = version >= 2 ? reader.ReadInt32() : -1;
        double baseScale = version >= 2 ? reader.ReadDouble() : 0;
        if (baseFeature < -1 || baseFeature >= schema.NumericCount || !double.IsFinite(baseScale))
        {
            throw new InvalidDataException($"gbdt base feature {baseFeature} (scale {baseScale}) does not fit the schema's {schema.NumericCount} numeric features.");
        }
        double bestMetric = reader.ReadDouble();
        int rounds = reader.ReadInt32();
        int trees = reader.ReadInt32();
        int nodes = reader.ReadInt32();
        int words = reader.ReadInt32();
        long remaining = reader.BaseStream.Length - reader.BaseStream.Position;
        if (trees < 0 || nodes < trees || words < 0 || (long)nodes * 29 + (long)trees * 8 + (long)words * 8 > remaining || !double.IsFinite(baseScore))
        {
            throw new InvalidDataException($"gbdt header is inconsistent: {trees} trees, {nodes} nodes, {words} bitset words in {remaining} bytes.");
        }
        var roots = ReadInts(reader, trees);
        var depths = ReadInts(reader, trees);
        var flat = new FlatNode[nodes];
        var flags = new byte[nodes];
        var values = new float[nodes];
        var gains = new double[nodes];
        var catOffset = new int[nodes];
        var catWords = new int[nodes];
        for (int i = 0; i < nodes; i++)
        {
            flat[i] = new FlatNode { Feature = reader.ReadInt32(), Threshold = reader.ReadSingle(), Left = reader.ReadInt32(), Right = reader.ReadInt32() };
            flags[i] = reader.ReadByte();
            values[i] = reader.ReadSingle();
            gains[i] = reader.ReadDouble();
            if ((flags[i] & Forest.FlagCategorical) != 0)
            {
                catOffset[i] = reader.ReadInt32();
                catWords[i] = reader.ReadInt32();
            }
        }
        var bits = new ulong[words];
        for (int w = 0; w < words; w++)
        {
            bits[w] = reader.ReadUInt64();
        }
        ValidateTrees(schema, roots, depths, flat, flags, values, catOffset, catWords, words);
        var forest = new Forest(schema, baseScore, baseFeature, baseScale);
        forest.Load(flat, flags, values, gains, catOffset, catWords, bits, roots, depths);
        return new GradientBoostedTrees(new GbdtOptions { Objective = (GbdtObjective)objective, NdcgAt = ndcgAt })
        {
            _forest = forest,
            BestValidMetric = bestMetric,
            RoundsTrained = rounds,
        };
    }

    private static int[] ReadInts(BinaryReader reader, int count)
    {
        var result = new int[count];
        for (int i = 0; i < count; i++)
        {
            result[i] = reader.ReadInt32();
        }
        return result;
    }

    private static void ValidateTrees(
        FeatureSchema schema, int[] roots, int[] depths, FlatNode[] nodes, byte[] flags, float[] values, int[] catOffset, int[] catWords, int words)
    {
        var depthOf = new int[nodes.Length];
        var parents = new int[nodes.Length];
        for (int t = 0; t < roots.Length; t++)
        {
            int start = roots[t];
            int end = t + 1 < roots.Length ? roots[t + 1] : nodes.Length;
            if ((t == 0 && start != 0) || start >= end || end > nodes.Length)
            {
                throw new InvalidDataException($"gbdt tree {t} has node range [{start}, {end}) of {nodes.Length} nodes.");
            }
            int maxDepth = 0;
            for (int i = start; i < end; i++)
            {
                if (i > start && parents[i] != 1)
                {
                    throw new InvalidDataException($"gbdt node {i} of tree {t} has {parents[i]} parents.");
                }
                var node = nodes[i];
                if (!float.IsFinite(values[i]))
                {
                    throw new InvalidDataException($"gbdt node {i} has leaf value {values[i]}.");
                }
                if ((flags[i] & Forest.FlagLeaf) != 0)
                {
                    if (flags[i] != Forest.FlagLeaf || node.Left != i || node.Right != i || node.Feature != 0)
                    {
                        throw new InvalidDataException($"gbdt leaf {i} is malformed.");
                    }
                    maxDepth = Math.Max(maxDepth, depthOf[i]);
                    continue;
                }
                if (node.Left <= i || node.Right <= i || node.Left >= end || node.Right >= end || node.Left == node.Right)
                {
                    throw new InvalidDataException($"gbdt node {i} of tree {t} has children {node.Left}, {node.Right} outside ({i}, {end}).");
                }
                if (flags[i] == Forest.FlagCategorical)
                {
                    if ((uint)node.Feature >= (uint)schema.FieldCount)
                    {
                        throw new InvalidDataException($"gbdt node {i} splits on categorical field {node.Feature} of {schema.FieldCount}.");
                    }
                    int need = (schema.Categorical[node.Feature].Cardinality + 63) / 64;
                    if (catWords[i] != need || catOffset[i] < 0 || (long)catOffset[i] + catWords[i] > words)
                    {
                        throw new InvalidDataException($"gbdt node {i} has bitset [{catOffset[i]}, +{catWords[i]}) of {words} words.");
                    }
                }
                else if (flags[i] != 0 || node.FeatureIndex >= schema.NumericCount || float.IsNaN(node.Threshold))
                {
                    throw new InvalidDataException($"gbdt node {i} splits on numeric feature {node.FeatureIndex} of {schema.NumericCount} (flags {flags[i]}).");
                }
                parents[node.Left]++;
                parents[node.Right]++;
                depthOf[node.Left] = depthOf[i] + 1;
                depthOf[node.Right] = depthOf[i] + 1;
            }
            if (depths[t] != maxDepth)
            {
                throw new InvalidDataException($"gbdt tree {t} says depth {depths[t]} but its deepest leaf is at {maxDepth}.");
            }
        }
    }

    private void CheckTrainingData(RankingDataset train, RankingDataset? valid)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (train.Rows == 0)
        {
            throw new ArgumentException("train has no rows; gradient-boosted trees need at least one labelled row.", nameof(train));
        }
        if (train.Schema.FieldCount + train.Schema.NumericCount == 0)
        {
            throw new ArgumentException("train's schema has no categorical field and no numeric feature.", nameof(train));
        }
        CheckLabels(train, nameof(train));
        if (valid is not null)
        {
            CheckSchema(valid.Schema, train.Schema, nameof(valid));
            if (valid.Rows == 0)
            {
                throw new ArgumentException("valid has no rows; pass null to train without early stopping.", nameof(valid));
            }
            CheckLabels(valid, nameof(valid));
        }
    }

    private void CheckLabels(RankingDataset data, string name)
    {
        var labels = data.Labels ?? throw new ArgumentException($"{name} has no labels; fitting needs labelled rows.", name);
        bool rank = Options.Objective == GbdtObjective.LambdaRank;
        for (int r = 0; r < labels.Length; r++)
        {
            float y = labels[r];
            if (!float.IsFinite(y) || y < 0 || (!rank && y > 1))
            {
                throw new ArgumentException(
                    $"{name} label at row {r} is {y}; {(rank ? "relevance grades must be finite and non-negative" : "binary labels must lie in [0, 1]")}.", name);
            }
        }
        if (data.Weights is { } weights)
        {
            for (int r = 0; r < weights.Length; r++)
            {
                if (!float.IsFinite(weights[r]) || weights[r] < 0)
                {
                    throw new ArgumentException($"{name} weight at row {r} is {weights[r]}; weights must be finite and non-negative.", name);
                }
            }
        }
        if (rank && data.GroupOffsets is null)
        {
            throw new ArgumentException($"{name} has no GroupOffsets; the lambdarank objective ranks rows within groups (queries).", name);
        }
    }

    private static void CheckSchema(FeatureSchema actual, FeatureSchema expected, string name)
    {
        if (!actual.Equals(expected))
        {
            throw new ArgumentException(
                $"{name} has schema ({Describe(actual)}) but the model uses ({Describe(expected)}); score data built with the training vocabulary.", name);
        }
    }

    private static string Describe(FeatureSchema schema) =>
        string.Join(", ", schema.Categorical.Select(c => $"{c.Name}:{c.Cardinality}").Concat(schema.Numeric));
}
