using System.Diagnostics;
using System.Globalization;

namespace Cascade.Experiments;

/// <summary>
/// Runs many simulated A/B experiments and measures the statistics on them: each run draws a population from the
/// traffic source, assigns users with the real <see cref="Assignment"/> hash (salt "sim-{seed}-{run}", unit ids
/// "u{index}", 50 % / 50 %), optionally injects a sample-ratio mismatch, then for each day adds the day's traffic to
/// every user's totals and looks: a naive fixed-horizon z test of the CTR difference (delta method) and the mSPRT. At
/// the end it records the fixed-horizon test and intervals, CUPED on the pre-period and the SRM check.
/// Runs are independent and seeded by their index, so results do not depend on the number of threads.
/// </summary>
public sealed class ExperimentSimulator
{
    private const double TreatmentShare = 0.5;
    private readonly SimulationOptions _options;
    private readonly ITrafficSource _traffic;

    /// <summary>A simulator over <paramref name="traffic"/>.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="traffic">The traffic source.</param>
    public ExperimentSimulator(SimulationOptions options, ITrafficSource traffic)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(traffic);
        _options = options.Validate();
        _traffic = traffic;
    }

    /// <summary>The unit id the simulator gives user <paramref name="index"/>.</summary>
    /// <param name="index">The user's index.</param>
    public static string UnitId(int index) => "u" + index.ToString(CultureInfo.InvariantCulture);

    /// <summary>Runs every experiment and aggregates what they measured.</summary>
    /// <param name="progress">Told the number of finished runs as they finish; may be null.</param>
    /// <param name="cancellationToken">Stops the runs.</param>
    public SimulationResult Run(IProgress<int>? progress = null, CancellationToken cancellationToken = default)
    {
        var clock = Stopwatch.StartNew();
        var outcomes = new RunOutcome[_options.Runs];
        int finished = 0;
        var parallel = new ParallelOptions
        {
            CancellationToken = cancellationToken,
            MaxDegreeOfParallelism = _options.Parallelism > 0 ? _options.Parallelism : Environment.ProcessorCount,
        };
        Parallel.For(0, _options.Runs, parallel,
            () => new Workspace(_traffic.CreateRun(_options.Users), _options.Users),
            (run, _, workspace) =>
            {
                outcomes[run] = RunOne(run, workspace);
                progress?.Report(Interlocked.Increment(ref finished));
                return workspace;
            },
            _ => { });
        return Aggregate(outcomes, clock.Elapsed.TotalSeconds);
    }

    /// <summary>One experiment, deterministic in its index.</summary>
    internal RunOutcome RunOne(int run, Workspace w)
    {
        int users = _options.Users;
        ulong runSeed = FastRandom.Derive(_options.Seed, (ulong)run);
        w.Traffic.Begin(runSeed, w.PreClicks, w.PreImpressions);
        Assign(run, w.Arms, FastRandom.Derive(runSeed, 1));
        w.Traffic.Assign(w.Arms);
        Array.Clear(w.Clicks);
        Array.Clear(w.Impressions);

        double? trueLift = _traffic.TrueRelativeLift;
        double? trueAbsolute = trueLift * _traffic.TrueControlRate;
        int sequentialDay = 0, naiveDay = 0;
        bool sequenceCovers = true;
        SequentialResult? sequential = null;
        ComparisonResult? last = null;
        double z = Normal.Quantile(1 - (_options.Alpha / 2));
        Span<Sums> sums = stackalloc Sums[2];
        for (int day = 0; day < _options.Days; day++)
        {
            w.Traffic.Day(day, w.DayImpressions, w.DayClicks);
            sums.Clear();
            for (int u = 0; u < users; u++)
            {
                double c = w.Clicks[u] += w.DayClicks[u];
                double n = w.Impressions[u] += w.DayImpressions[u];
                if (n > 0)
                {
                    ref var s = ref sums[w.Arms[u]];
                    s.Units++;
                    s.X += c;
                    s.Y += n;
                    s.Xx += c * c;
                    s.Yy += n * n;
                    s.Xy += c * n;
                }
            }
            if (sums[0].Units < 2 || sums[1].Units < 2 || sums[0].Y <= 0 || sums[1].Y <= 0)
            {
                continue;
            }
            var control = sums[0].ToSummary();
            var treatment = sums[1].ToSummary();
            last = RatioMetric.Compare(control, treatment, 1 - _options.Alpha);
            if (naiveDay == 0 && Math.Abs(last.Statistic) > z)
            {
                naiveDay = day + 1;
            }
            double variance = control.VarianceOfRatio + treatment.VarianceOfRatio;
            if (variance > 0 && control.Ratio > 0)
            {
                double tau2 = MixtureSprt.MixingVariance(control.Ratio, _options.RelativeMixingSd);
                sequential = MixtureSprt.Look(last.AbsoluteLift, variance, tau2, _options.Alpha, sequential);
                if (sequentialDay == 0 && sequential.Rejects)
                {
                    sequentialDay = day + 1;
                }
                if (trueAbsolute is { } t && !sequential.ConfidenceSequence.Contains(t))
                {
                    sequenceCovers = false;
                }
            }
        }
        if (last is null)
        {
            return new RunOutcome { Valid = false };
        }
        var cuped = Cuped.Compare(CupedArmOf(w, 0), CupedArmOf(w, 1), 1 - _options.Alpha);
        long[] counts = [0, 0];
        for (int u = 0; u < users; u++)
        {
            if (w.Impressions[u] > 0)
            {
                counts[w.Arms[u]]++;
            }
        }
        var srm = SampleRatioMismatch.Check(counts, [1 - TreatmentShare, TreatmentShare]);
        return new RunOutcome
        {
            Valid = true,
            SequentialDay = sequentialDay,
            NaiveDay = naiveDay,
            FixedRejects = last.PValue < _options.Alpha,
            CoversRelative = trueLift is { } l && last.RelativeInterval.Contains(l),
            CoversAbsolute = trueAbsolute is { } a && last.AbsoluteInterval.Contains(a),
            SequenceCovers = sequenceCovers,
            StandardError = last.StandardError,
            RelativeLift = last.RelativeLift,
            CupedReduction = cuped.VarianceReduction,
            CupedRejects = cuped.Comparison.PValue < _options.Alpha,
            SrmAlarm = srm.Mismatch,
            Exposed = counts[0] + counts[1],
        };
    }

    /// <summary>Assigns every user with the real hash, then moves a share of arm A to arm B when an SRM is injected.</summary>
    private void Assign(int run, byte[] arms, ulong seed)
    {
        string salt = string.Create(CultureInfo.InvariantCulture, $"sim-{_options.Seed}-{run}");
        int[] ends = Assignment.ArmEnds([1 - TreatmentShare, TreatmentShare]);
        Span<char> id = stackalloc char[12];
        id[0] = 'u';
        var random = new FastRandom(seed);
        double move = 2 * _options.Srm;
        for (int u = 0; u < arms.Length; u++)
        {
            u.TryFormat(id[1..], out int written, provider: CultureInfo.InvariantCulture);
            byte arm = (byte)Assignment.ArmOf(Assignment.Bucket(salt, id[..(1 + written)]), ends);
            if (arm == 0 && move > 0 && random.NextDouble() < move)
            {
                arm = 1;
            }
            arms[u] = arm;
        }
    }

    /// <summary>The exposed users of one arm: CTR linearised, with the pre-period CTR linearised at the pooled pre-period ratio as covariate.</summary>
    private static CupedArm CupedArmOf(Workspace w, int arm)
    {
        double preClicks = 0, preImpressions = 0;
        int count = 0;
        for (int u = 0; u < w.Arms.Length; u++)
        {
            if (w.Impressions[u] > 0)
            {
                preClicks += w.PreClicks[u];
                preImpressions += w.PreImpressions[u];
                count += w.Arms[u] == arm ? 1 : 0;
            }
        }
        double preRatio = preImpressions > 0 ? preClicks / preImpressions : 0;
        var clicks = new double[count];
        var impressions = new double[count];
        var covariate = new double[count];
        int i = 0;
        for (int u = 0; u < w.Arms.Length; u++)
        {
            if (w.Impressions[u] > 0 && w.Arms[u] == arm)
            {
                clicks[i] = w.Clicks[u];
                impressions[i] = w.Impressions[u];
                covariate[i] = w.PreClicks[u] - (preRatio * w.PreImpressions[u]);
                i++;
            }
        }
        return CupedArm.ForRatio(clicks, impressions, covariate);
    }

    private SimulationResult Aggregate(RunOutcome[] outcomes, double seconds)
    {
        var valid = outcomes.Where(o => o.Valid).ToArray();
        int n = Math.Max(1, valid.Length);
        double Rate(Func<RunOutcome, bool> f) => (double)valid.Count(f) / n;
        double? lift = _traffic.TrueRelativeLift;
        bool null0 = lift == 0;
        double sequentialPower = Rate(o => o.SequentialDay > 0);
        double naive = Rate(o => o.NaiveDay > 0);
        double? theoretical = null;
        if (lift is { } l && _traffic.TrueControlRate is { } baseRate && valid.Length > 0)
        {
            double se = valid.Average(o => o.StandardError);
            double effect = Math.Abs(l * baseRate) / se;
            double z = Normal.Quantile(1 - (_options.Alpha / 2));
            theoretical = Normal.Cdf(effect - z) + Normal.Cdf(-effect - z);
        }
        var stopped = valid.Where(o => o.SequentialDay > 0).ToArray();
        return new SimulationResult(
            Runs: outcomes.Length,
            Days: _options.Days,
            Users: _options.Users,
            Lift: lift,
            Srm: _options.Srm,
            Seed: _options.Seed,
            Seconds: seconds,
            FalsePositiveRateSequential: null0 ? sequentialPower : null,
            FalsePositiveRateNaiveDaily: null0 ? naive : null,
            CoverageFixedHorizon: lift is null ? null : Rate(o => o.CoversRelative),
            CoverageFixedHorizonAbsolute: lift is null || _traffic.TrueControlRate is null ? null : Rate(o => o.CoversAbsolute),
            CoverageSequential: lift is null || _traffic.TrueControlRate is null ? null : Rate(o => o.SequenceCovers),
            PowerSequential: sequentialPower,
            PowerFixedHorizon: Rate(o => o.FixedRejects),
            PowerCuped: Rate(o => o.CupedRejects),
            TheoreticalPowerFixedHorizon: theoretical,
            MeanStoppingDaySequential: stopped.Length > 0 ? stopped.Average(o => o.SequentialDay) : null,
            CupedVarianceReduction: valid.Length > 0 ? valid.Average(o => o.CupedReduction) : 0,
            SrmDetectionRate: Rate(o => o.SrmAlarm),
            MeanRelativeLiftEstimate: valid.Length > 0 ? valid.Average(o => o.RelativeLift) : 0,
            MeanExposedUsers: valid.Length > 0 ? valid.Average(o => (double)o.Exposed) : 0);
    }

    /// <summary>Per-arm running sums of the ratio metric over exposed users.</summary>
    private struct Sums
    {
        public long Units;
        public double X, Y, Xx, Yy, Xy;

        public readonly RatioSummary ToSummary() => new(Units, X, Y, Xx, Yy, Xy);
    }

    /// <summary>What one run found.</summary>
    internal readonly record struct RunOutcome
    {
        public bool Valid { get; init; }
        public int SequentialDay { get; init; }
        public int NaiveDay { get; init; }
        public bool FixedRejects { get; init; }
        public bool CoversRelative { get; init; }
        public bool CoversAbsolute { get; init; }
        public bool SequenceCovers { get; init; }
        public double StandardError { get; init; }
        public double RelativeLift { get; init; }
        public double CupedReduction { get; init; }
        public bool CupedRejects { get; init; }
        public bool SrmAlarm { get; init; }
        public long Exposed { get; init; }
    }

    /// <summary>A worker's buffers, reused across its runs.</summary>
    internal sealed class Workspace(ITrafficRun traffic, int users)
    {
        public ITrafficRun Traffic { get; } = traffic;
        public byte[] Arms { get; } = new byte[users];
        public double[] PreClicks { get; } = new double[users];
        public double[] PreImpressions { get; } = new double[users];
        public double[] Clicks { get; } = new double[users];
        public double[] Impressions { get; } = new double[users];
        public int[] DayClicks { get; } = new int[users];
        public int[] DayImpressions { get; } = new int[users];
    }
}
