using Cascade.Models.Serialization;
using Cascade.Ranking.Training;

namespace Cascade.Ranking.Factorisation;

/// <summary>
/// The state and training loop shared by FM and FFM: encoder, parameters (see <see cref="IFactorisationKernel"/> for
/// the layout), mini-batch Adagrad with lazy L2 and early stopping. A batch is cut into <c>Threads</c> contiguous
/// chunks whose gradients are summed in chunk order, so a fixed seed and thread count give identical models.
/// </summary>
internal sealed class FactorisationCore(string kind, FactorisationOptions options, Func<SparseEncoder, FactorisationOptions, IFactorisationKernel> kernelFactory)
{
    private const ushort PayloadVersion = 1;
    private const float AdagradEpsilon = 1e-7f;

    public string Kind => kind;

    public FactorisationOptions Options => options;

    public SparseEncoder? Encoder { get; private set; }

    public IFactorisationKernel? Kernel { get; private set; }

    public float[] Parameters { get; private set; } = [];

    public int BestEpoch { get; private set; }

    public void Fit(RankingDataset train, RankingDataset? valid, IProgress<RankerProgress>? progress, CancellationToken cancellationToken)
    {
        var labels = RankerMath.RequireLabels(train, nameof(train));
        var encoder = SparseEncoder.Fit(train);
        if (valid is not null)
        {
            encoder.CheckSchema(valid, nameof(valid));
            RankerMath.RequireLabels(valid, nameof(valid));
        }
        var kernel = kernelFactory(encoder, options);
        int block = kernel.BlockSize;
        long count = 1 + ((long)encoder.Dimension * block);
        if (count > Array.MaxLength)
        {
            throw new ArgumentException($"{encoder.Dimension} features × {block} parameters exceed the largest array; lower k or the vocabulary (--min-count).", nameof(train));
        }
        var random = new Random(options.Seed);
        var p = new float[count];
        for (int i = 0; i < encoder.Dimension; i++)
        {
            for (int j = 1; j < block; j++)
            {
                p[1 + (i * block) + j] = (float)(options.InitScale * Gaussian(random));
            }
        }
        var accumulators = new float[count];
        int threads = options.Threads;
        var workers = new Worker[threads];
        for (int t = 0; t < threads; t++)
        {
            workers[t] = new Worker(encoder, kernel, count);
        }
        var order = RankerMath.Identity(train.Rows);
        var stopping = new EarlyStopping(options.Patience);
        float[]? best = null;
        Encoder = encoder;
        Kernel = kernel;
        Parameters = p;
        int batchCounter = 0;
        for (int epoch = 1; epoch <= options.Epochs; epoch++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RankerMath.Shuffle(order, random);
            double loss = 0, weightSum = 0;
            for (int start = 0; start < order.Length; start += options.BatchSize)
            {
                int length = Math.Min(options.BatchSize, order.Length - start);
                var batch = new ArraySegment<int>(order, start, length);
                batchCounter++;
                if (threads == 1 || length < threads * 4)
                {
                    workers[0].Accumulate(train, labels, p, batch, length, batchCounter);
                }
                else
                {
                    int stamp = batchCounter;
                    Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, t =>
                    {
                        int from = length * t / threads, to = length * (t + 1) / threads;
                        workers[t].Accumulate(train, labels, p, batch.Slice(from, to - from), length, stamp);
                    });
                    for (int t = 1; t < threads; t++)
                    {
                        workers[0].MergeFrom(workers[t], block, batchCounter);
                    }
                }
                for (int t = 0; t < threads; t++)
                {
                    loss += workers[t].Loss;
                    weightSum += workers[t].WeightSum;
                    workers[t].Loss = 0;
                    workers[t].WeightSum = 0;
                }
                workers[0].Apply(p, accumulators, block, options);
            }
            double trainLoss = weightSum > 0 ? loss / weightSum : double.NaN;
            if (valid is null)
            {
                BestEpoch = epoch;
                progress?.Report(new RankerProgress(epoch, options.Epochs, trainLoss, double.NaN, "logloss"));
                continue;
            }
            double validLoss = LogLoss(valid);
            progress?.Report(new RankerProgress(epoch, options.Epochs, trainLoss, validLoss, "logloss"));
            if (!double.IsFinite(validLoss))
            {
                break;
            }
            if (stopping.Report(epoch, validLoss))
            {
                best = (float[])p.Clone();
                BestEpoch = epoch;
            }
            else if (stopping.ShouldStop)
            {
                break;
            }
        }
        if (best is not null)
        {
            Parameters = best;
        }
    }

    public void Predict(RankingDataset data, Span<float> scores)
    {
        var encoder = Fitted();
        encoder.CheckSchema(data, nameof(data));
        if (scores.Length != data.Rows)
        {
            throw new ArgumentException($"scores has {scores.Length} entries for {data.Rows} rows.", nameof(scores));
        }
        var kernel = Kernel!;
        var p = Parameters;
        Span<int> index = stackalloc int[encoder.Width];
        Span<float> value = stackalloc float[encoder.Width];
        Span<float> scratch = stackalloc float[kernel.ScratchSize];
        for (int r = 0; r < data.Rows; r++)
        {
            encoder.Encode(data, r, index, value);
            scores[r] = RankerMath.Probability(kernel.Score(p, index, value, scratch));
        }
    }

    public double LogLoss(RankingDataset data)
    {
        var scores = new float[data.Rows];
        Predict(data, scores);
        var labels = data.Labels!;
        double loss = 0, weightSum = 0;
        for (int r = 0; r < data.Rows; r++)
        {
            float w = data.Weights?[r] ?? 1f;
            loss -= w * ((labels[r] * Math.Log(scores[r])) + ((1 - labels[r]) * Math.Log(1 - scores[r])));
            weightSum += w;
        }
        return weightSum > 0 ? loss / weightSum : double.NaN;
    }

    public void Save(Stream stream)
    {
        var encoder = Fitted();
        ModelFile.Write(stream, kind, PayloadVersion, writer =>
        {
            options.WriteTo(writer);
            encoder.WriteTo(writer);
            writer.Write(BestEpoch);
            ArrayIo.Write(writer, Parameters);
        });
    }

    public static FactorisationCore ReadFrom(string kind, BinaryReader reader, ushort version, Func<SparseEncoder, FactorisationOptions, IFactorisationKernel> kernelFactory)
    {
        ArgumentNullException.ThrowIfNull(reader);
        if (version != PayloadVersion)
        {
            throw new InvalidDataException($"Payload version {version} of a '{kind}' model is not supported; this build reads version {PayloadVersion}.");
        }
        var options = FactorisationOptions.ReadFrom(reader);
        var encoder = SparseEncoder.ReadFrom(reader);
        var kernel = kernelFactory(encoder, options);
        var core = new FactorisationCore(kind, options, kernelFactory) { BestEpoch = reader.ReadInt32() };
        long count = 1 + ((long)encoder.Dimension * kernel.BlockSize);
        if (count > Array.MaxLength)
        {
            throw new InvalidDataException($"A '{kind}' model of {count} parameters is larger than this build reads.");
        }
        core.Parameters = ArrayIo.ReadSingles(reader, (int)count);
        core.Encoder = encoder;
        core.Kernel = kernel;
        return core;
    }

    private SparseEncoder Fitted() => Encoder ?? throw new InvalidOperationException($"The '{kind}' ranker is not fitted; call Fit first.");

    private static double Gaussian(Random random)
    {
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }

    /// <summary>One thread's gradient buffer (dense, with the list of features it touched).</summary>
    private sealed class Worker
    {
        private readonly SparseEncoder _encoder;
        private readonly IFactorisationKernel _kernel;
        private readonly float[] _gradient;
        private readonly int[] _stamp;
        private readonly List<int> _touched = [];
        private readonly int[] _index;
        private readonly float[] _value;
        private readonly float[] _scratch;

        public Worker(SparseEncoder encoder, IFactorisationKernel kernel, long parameters)
        {
            _encoder = encoder;
            _kernel = kernel;
            _gradient = new float[parameters];
            _stamp = new int[encoder.Dimension];
            _index = new int[encoder.Width];
            _value = new float[encoder.Width];
            _scratch = new float[kernel.ScratchSize];
        }

        public double Loss { get; set; }

        public double WeightSum { get; set; }

        /// <summary>Adds the mean-over-batch gradient of <paramref name="rows"/> (part of a batch of <paramref name="batchSize"/>).</summary>
        public void Accumulate(RankingDataset data, float[] labels, float[] p, ArraySegment<int> rows, int batchSize, int stamp)
        {
            float inverse = 1f / batchSize;
            foreach (int r in rows)
            {
                _encoder.Encode(data, r, _index, _value);
                double score = _kernel.Score(p, _index, _value, _scratch);
                float rowWeight = data.Weights?[r] ?? 1f;
                Loss += rowWeight * RankerMath.LogLossOfLogit(score, labels[r]);
                WeightSum += rowWeight;
                float scale = (float)((RankerMath.Sigmoid(score) - labels[r]) * rowWeight * inverse);
                _kernel.AddGradient(p, _index, _value, scale, _scratch, _gradient);
                foreach (int i in _index)
                {
                    if (_stamp[i] != stamp)
                    {
                        _stamp[i] = stamp;
                        _touched.Add(i);
                    }
                }
            }
        }

        /// <summary>Moves <paramref name="other"/>'s gradient into this buffer and clears it.</summary>
        public void MergeFrom(Worker other, int block, int stamp)
        {
            _gradient[0] += other._gradient[0];
            other._gradient[0] = 0;
            foreach (int i in other._touched)
            {
                int b = 1 + (i * block);
                for (int j = 0; j < block; j++)
                {
                    _gradient[b + j] += other._gradient[b + j];
                    other._gradient[b + j] = 0;
                }
                if (_stamp[i] != stamp)
                {
                    _stamp[i] = stamp;
                    _touched.Add(i);
                }
            }
            other._touched.Clear();
        }

        /// <summary>Adagrad step on w0 and every touched feature's block (with L2), then clears the buffer.</summary>
        public void Apply(float[] p, float[] accumulators, int block, FactorisationOptions options)
        {
            float rate = (float)options.LearningRate;
            float l2Linear = (float)options.L2Linear;
            float l2Factors = (float)options.L2Factors;
            Step(p, accumulators, 0, _gradient[0], rate);
            _gradient[0] = 0;
            foreach (int i in _touched)
            {
                int b = 1 + (i * block);
                Step(p, accumulators, b, _gradient[b] + (l2Linear * p[b]), rate);
                _gradient[b] = 0;
                for (int j = b + 1; j < b + block; j++)
                {
                    Step(p, accumulators, j, _gradient[j] + (l2Factors * p[j]), rate);
                    _gradient[j] = 0;
                }
            }
            _touched.Clear();
        }

        private static void Step(float[] p, float[] accumulators, int j, float g, float rate)
        {
            float sum = accumulators[j] + (g * g);
            accumulators[j] = sum;
            p[j] -= rate * g / (MathF.Sqrt(sum) + AdagradEpsilon);
        }
    }
}
