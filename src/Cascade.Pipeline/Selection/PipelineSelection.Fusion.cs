using System.Diagnostics;
using System.Globalization;
using Cascade.Models;
using Cascade.Pipeline.Sources;

namespace Cascade.Pipeline.Selection;

/// <summary>The fusion step of model selection: source weights chosen on the validation splits' proposals.</summary>
public static partial class PipelineSelection
{
    private sealed partial class Search
    {
        /// <summary>Fusion weights by coordinate ascent from the best single source, on each validation user's proposals.</summary>
        private (List<SourceOptions> Sources, double Score) Fuse(List<SourceOptions> sources, IReadOnlyDictionary<string, IRecommender> models)
        {
            progress?.Report(new PipelineBuildProgress("selecting: fusion weights", (int)Math.Min(Elapsed, Budget), (int)Budget));
            long started = Stopwatch.GetTimestamp();
            // Each validation split's users' proposals, per source, best first: the first split with the search's models,
            // the further ones (when the finalists were scored on them) with the finalists fitted there.
            var splits = new List<(SelectionSplit Split, int[][][] Proposals)> { (split, Proposals(split, _fitData, sources, models)) };
            double estimate = _best.Values.Sum(v => v.Seconds);
            foreach (var (other, fitted) in _repeats)
            {
                if (sources.All(x => x.Kind != "model" || fitted.ContainsKey(x.Model!)) && Elapsed + estimate < Budget)
                {
                    splits.Add((other, Proposals(other, new PipelineData(other.Fit, data.Items), sources, fitted)));
                }
            }
            double Score(double[] weights) => splits.Average(x => x.Split.Mean(i => Fused(x.Proposals[i], weights, x.Split.K), cancellationToken));
            double[] best = new double[sources.Count];
            double bestScore = double.NegativeInfinity;
            for (int s = 0; s < sources.Count; s++)
            {
                var single = new double[sources.Count];
                single[s] = 1;
                double score = Score(single);
                _trials.Add(new SelectionTrial("fusion", Weights(sources, single), score, 0));
                if (score > bestScore)
                {
                    (best, bestScore) = (single, score);
                }
            }
            for (int sweep = 0; sweep < 2; sweep++)
            {
                bool improved = false;
                for (int s = 0; s < sources.Count; s++)
                {
                    foreach (double w in WeightGrid)
                    {
                        if (w == best[s])
                        {
                            continue;
                        }
                        var trial = (double[])best.Clone();
                        trial[s] = w;
                        if (trial.All(x => x == 0))
                        {
                            continue;
                        }
                        double score = Score(trial);
                        if (score > bestScore + 1e-9)
                        {
                            (best, bestScore, improved) = (trial, score, true);
                        }
                    }
                }
                if (!improved)
                {
                    break;
                }
            }
            var weighted = sources.Select((s, i) => { var c = Copy(s); c.Weight = best[i]; return c; }).ToList();
            _trials.Add(new SelectionTrial("fusion", "chosen: " + Weights(sources, best), bestScore, Stopwatch.GetElapsedTime(started).TotalSeconds));
            return (weighted, bestScore);
        }

        // Each validation user's proposals of one split, per source, best first.
        private int[][][] Proposals(SelectionSplit on, PipelineData fitData, List<SourceOptions> sources, IReadOnlyDictionary<string, IRecommender> models)
        {
            var fitted = new Dictionary<string, IRecommender>(models, StringComparer.Ordinal);
            var (slots, _) = PipelineBuilder.FitSources(new PipelineOptions { Sources = sources }, fitData, seed, null, fitted, cancellationToken);
            var proposals = new int[on.Users.Length][][];
            Parallel.For(0, on.Users.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                int u = on.Users[i];
                var request = new SourceRequest(data.Items, u, RecommendationPipeline.HistoryOf(on.Fit, u),
                    RecommendationPipeline.LastActivityMs(on.Fit, u) ?? fitData.NewestTimestampMs);
                try
                {
                    proposals[i] = new int[slots.Length][];
                    for (int s = 0; s < slots.Length; s++)
                    {
                        var list = new List<ScoredItem>(slots[s].Quota);
                        slots[s].Source.Propose(request, slots[s].Quota, list);
                        proposals[i][s] = [.. list.Select(x => x.Item)];
                    }
                }
                finally
                {
                    request.ReleaseScores();
                }
            });
            return proposals;
        }

        private static string Weights(List<SourceOptions> sources, double[] weights) =>
            "weights " + string.Join(", ", sources.Select((s, i) => $"{s.Name}={weights[i].ToString("0.##", CultureInfo.InvariantCulture)}"));

        // Weighted reciprocal-rank fusion of one user's proposals, as the pipeline's merge does it; ties keep first-proposed order.
        private static int[] Fused(int[][] lists, double[] weights, int k)
        {
            var score = new Dictionary<int, (double Score, int Order)>();
            int order = 0;
            for (int s = 0; s < lists.Length; s++)
            {
                for (int r = 0; r < lists[s].Length; r++)
                {
                    int item = lists[s][r];
                    var current = score.TryGetValue(item, out var v) ? v : (0, order++);
                    score[item] = (current.Score + weights[s] / (RecommendationPipeline.FusionK + r + 1), current.Order);
                }
            }
            return [.. score.OrderByDescending(p => p.Value.Score).ThenBy(p => p.Value.Order).Take(k).Select(p => p.Key)];
        }
    }
}
