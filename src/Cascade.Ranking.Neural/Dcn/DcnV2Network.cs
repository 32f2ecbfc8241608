namespace Cascade.Ranking.Neural.Dcn;

/// <summary>A named slice of the dense parameter array.</summary>
internal readonly record struct ParameterBlock(string Name, int Offset, int Length);

/// <summary>
/// The parameters and shape of a DCN-v2: one embedding table over the schema's global vocabulary (V × d) and one
/// dense array holding, in order, every cross layer (W_l as D×D row-major "input × output", then b_l), every deep
/// layer (W_k as in×out, b_k, and γ_k, β_k with batch norm) and the output layer (w_o, b_o). The input x0 of width
/// D = F·d + 2·N is the F field embeddings, then the N z-scored numeric values (missing → 0), then N is-missing flags.
/// </summary>
internal sealed partial class DcnV2Network
{
    public const float BatchNormEpsilon = 1e-5f;
    public const float BatchNormMomentum = 0.1f;

    private readonly int[] _fieldOffsets;
    private readonly int[] _crossW, _crossB, _deepW, _deepB, _gamma, _beta, _deepIn, _statOffset;

    public DcnV2Network(FeatureSchema schema, int embeddingDimension, int crossLayers, IReadOnlyList<int> hidden, bool batchNorm, DcnStructure structure)
    {
        Fields = schema.FieldCount;
        NumericCount = schema.NumericCount;
        EmbeddingDimension = embeddingDimension;
        Vocabulary = schema.TotalCardinality;
        InputDimension = checked((Fields * embeddingDimension) + (2 * NumericCount));
        if (InputDimension == 0)
        {
            throw new ArgumentException("The schema has no categorical fields and no numeric features.", nameof(schema));
        }
        CrossLayers = crossLayers;
        Hidden = [.. hidden];
        BatchNorm = batchNorm;
        Structure = structure;
        _fieldOffsets = new int[Fields];
        for (int f = 0; f < Fields; f++)
        {
            _fieldOffsets[f] = schema.FieldOffset(f);
        }

        var blocks = new List<ParameterBlock>();
        int at = 0;
        int Add(string name, int length)
        {
            blocks.Add(new ParameterBlock(name, at, length));
            int start = at;
            at = checked(at + length);
            return start;
        }
        int d = InputDimension;
        _crossW = new int[crossLayers];
        _crossB = new int[crossLayers];
        for (int l = 0; l < crossLayers; l++)
        {
            _crossW[l] = Add($"cross{l}.W", checked(d * d));
            _crossB[l] = Add($"cross{l}.b", d);
        }
        int layers = Hidden.Length;
        _deepW = new int[layers];
        _deepB = new int[layers];
        _gamma = new int[layers];
        _beta = new int[layers];
        _deepIn = new int[layers];
        _statOffset = new int[layers];
        int width = DeepInputDimension;
        int stats = 0;
        for (int k = 0; k < layers; k++)
        {
            _deepIn[k] = width;
            _deepW[k] = Add($"deep{k}.W", checked(width * Hidden[k]));
            _deepB[k] = Add($"deep{k}.b", Hidden[k]);
            if (batchNorm)
            {
                _gamma[k] = Add($"deep{k}.gamma", Hidden[k]);
                _beta[k] = Add($"deep{k}.beta", Hidden[k]);
            }
            _statOffset[k] = stats;
            stats += Hidden[k];
            width = Hidden[k];
        }
        OutputInput = layers == 0 ? d : Structure == DcnStructure.Parallel ? d + Hidden[^1] : Hidden[^1];
        OutW = Add("out.w", OutputInput);
        OutB = Add("out.b", 1);
        Blocks = blocks;
        Parameters = new float[at];
        Embeddings = new float[checked(Vocabulary * embeddingDimension)];
        RunningMean = new float[stats];
        RunningVar = new float[stats];
        RunningVar.AsSpan().Fill(1);
        NumericMean = new float[NumericCount];
        NumericScale = new float[NumericCount];
        NumericScale.AsSpan().Fill(1);
        InferenceScale = new float[stats];
        InferenceShift = new float[stats];
    }

    public int Fields { get; }
    public int NumericCount { get; }
    public int EmbeddingDimension { get; }
    public int Vocabulary { get; }
    public int InputDimension { get; }
    public int CrossLayers { get; }
    public int[] Hidden { get; }
    public bool BatchNorm { get; }
    public DcnStructure Structure { get; }
    public int OutputInput { get; }
    public int OutW { get; }
    public int OutB { get; }
    public IReadOnlyList<ParameterBlock> Blocks { get; }

    /// <summary>Every dense parameter (see the class remarks for the layout).</summary>
    public float[] Parameters { get; }

    /// <summary>Embedding table, V × d row-major; row <c>FieldOffset(f) + code</c>.</summary>
    public float[] Embeddings { get; }

    /// <summary>Batch-norm running means, one per deep unit (layer k at <see cref="StatOffset"/>).</summary>
    public float[] RunningMean { get; }

    /// <summary>Batch-norm running (unbiased) variances.</summary>
    public float[] RunningVar { get; }

    /// <summary>Mean of each numeric feature on the training rows (subtracted before scaling).</summary>
    public float[] NumericMean { get; }

    /// <summary>1 / standard deviation of each numeric feature on the training rows.</summary>
    public float[] NumericScale { get; }

    /// <summary>Batch norm folded for inference: a = z·scale + shift.</summary>
    public float[] InferenceScale { get; }

    /// <summary>See <see cref="InferenceScale"/>.</summary>
    public float[] InferenceShift { get; }

    public int DeepLayers => Hidden.Length;
    public int DeepInputDimension => InputDimension;
    public int FieldOffset(int field) => _fieldOffsets[field];
    public int CrossW(int layer) => _crossW[layer];
    public int CrossB(int layer) => _crossB[layer];
    public int DeepW(int layer) => _deepW[layer];
    public int DeepB(int layer) => _deepB[layer];
    public int Gamma(int layer) => _gamma[layer];
    public int Beta(int layer) => _beta[layer];
    public int DeepIn(int layer) => _deepIn[layer];
    public int StatOffset(int layer) => _statOffset[layer];

    /// <summary>Random initial weights: embeddings N(0, σ²); cross W_l uniform ±1/√D; deep and output W Glorot-uniform; biases 0, γ 1, β 0.</summary>
    public void Initialise(Random random, double embeddingStd)
    {
        for (int i = 0; i < Embeddings.Length; i++)
        {
            Embeddings[i] = (float)(embeddingStd * Gaussian(random));
        }
        Array.Clear(Parameters);
        int d = InputDimension;
        for (int l = 0; l < CrossLayers; l++)
        {
            Uniform(random, Parameters.AsSpan(_crossW[l], d * d), 1 / Math.Sqrt(d));
        }
        for (int k = 0; k < DeepLayers; k++)
        {
            Uniform(random, Parameters.AsSpan(_deepW[k], _deepIn[k] * Hidden[k]), Math.Sqrt(6.0 / (_deepIn[k] + Hidden[k])));
            if (BatchNorm)
            {
                Parameters.AsSpan(_gamma[k], Hidden[k]).Fill(1);
            }
        }
        Uniform(random, Parameters.AsSpan(OutW, OutputInput), Math.Sqrt(6.0 / (OutputInput + 1)));
        RunningMean.AsSpan().Clear();
        RunningVar.AsSpan().Fill(1);
        PrepareInference();
    }

    /// <summary>Folds batch norm's running statistics, γ and β into one scale and shift per deep unit.</summary>
    public void PrepareInference()
    {
        for (int k = 0; k < DeepLayers; k++)
        {
            var scale = InferenceScale.AsSpan(_statOffset[k], Hidden[k]);
            var shift = InferenceShift.AsSpan(_statOffset[k], Hidden[k]);
            if (!BatchNorm)
            {
                scale.Fill(1);
                shift.Clear();
                continue;
            }
            for (int u = 0; u < Hidden[k]; u++)
            {
                float s = Parameters[_gamma[k] + u] / MathF.Sqrt(RunningVar[_statOffset[k] + u] + BatchNormEpsilon);
                scale[u] = s;
                shift[u] = Parameters[_beta[k] + u] - (RunningMean[_statOffset[k] + u] * s);
            }
        }
    }

    /// <summary>Sets the numeric z-score from the training rows (NaN ignored; a constant feature keeps scale 1).</summary>
    public void FitNumericScaling(RankingDataset train)
    {
        int n = NumericCount;
        for (int j = 0; j < n; j++)
        {
            double sum = 0, sumSquares = 0;
            long count = 0;
            for (int r = 0; r < train.Rows; r++)
            {
                float v = train.Numeric[(r * n) + j];
                if (!float.IsNaN(v))
                {
                    sum += v;
                    sumSquares += (double)v * v;
                    count++;
                }
            }
            double mean = count == 0 ? 0 : sum / count;
            double variance = count == 0 ? 0 : Math.Max(0, (sumSquares / count) - (mean * mean));
            NumericMean[j] = (float)mean;
            NumericScale[j] = variance > 1e-12 ? (float)(1 / Math.Sqrt(variance)) : 1f;
        }
    }

    /// <summary>Copies every learned value (not the optimiser state) into <paramref name="target"/>, a network of the same shape.</summary>
    public void CopyTo(DcnV2Network target)
    {
        Parameters.CopyTo(target.Parameters, 0);
        Embeddings.CopyTo(target.Embeddings, 0);
        RunningMean.CopyTo(target.RunningMean, 0);
        RunningVar.CopyTo(target.RunningVar, 0);
        NumericMean.CopyTo(target.NumericMean, 0);
        NumericScale.CopyTo(target.NumericScale, 0);
        InferenceScale.CopyTo(target.InferenceScale, 0);
        InferenceShift.CopyTo(target.InferenceShift, 0);
    }

    /// <summary>Writes the learned arrays (the shape is written by the ranker).</summary>
    public void WriteArrays(BinaryWriter writer)
    {
        Write(writer, Parameters);
        Write(writer, Embeddings);
        Write(writer, RunningMean);
        Write(writer, RunningVar);
        Write(writer, NumericMean);
        Write(writer, NumericScale);
    }

    /// <summary>Reads arrays written by <see cref="WriteArrays"/>, checking every length against this shape.</summary>
    public void ReadArrays(BinaryReader reader)
    {
        Read(reader, Parameters, "dense parameters");
        Read(reader, Embeddings, "embedding table");
        Read(reader, RunningMean, "batch-norm means");
        Read(reader, RunningVar, "batch-norm variances");
        Read(reader, NumericMean, "numeric means");
        Read(reader, NumericScale, "numeric scales");
        PrepareInference();
    }

    private static void Write(BinaryWriter writer, float[] values)
    {
        writer.Write(values.Length);
        foreach (float v in values)
        {
            writer.Write(v);
        }
    }

    private static void Read(BinaryReader reader, float[] target, string what)
    {
        int length = reader.ReadInt32();
        if (length != target.Length)
        {
            throw new InvalidDataException($"DCN-v2 {what}: the file holds {length} values where the model's shape needs {target.Length}.");
        }
        for (int i = 0; i < length; i++)
        {
            float v = reader.ReadSingle();
            if (!float.IsFinite(v))
            {
                throw new InvalidDataException($"DCN-v2 {what}: value {i} is {v}, not finite.");
            }
            target[i] = v;
        }
    }

    private static void Uniform(Random random, Span<float> target, double limit)
    {
        for (int i = 0; i < target.Length; i++)
        {
            target[i] = (float)(((2 * random.NextDouble()) - 1) * limit);
        }
    }

    private static double Gaussian(Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>Runs <paramref name="body"/> over [0, count) split into at most <paramref name="threads"/> contiguous ranges.</summary>
    internal static void Ranges(int count, int threads, Action<int, int> body)
    {
        int parts = Math.Min(threads, Math.Max(1, count / 8));
        if (parts <= 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, parts, new ParallelOptions { MaxDegreeOfParallelism = parts }, p =>
        {
            int from = (int)((long)count * p / parts), to = (int)((long)count * (p + 1) / parts);
            body(from, to);
        });
    }
}
