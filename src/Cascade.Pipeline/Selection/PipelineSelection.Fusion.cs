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
        /// <summary>
        /// Fusion weights by coordinate ascent from the best single source, on each validation user's proposals, for
        /// reciprocal-rank fusion and for score fusion (unless the configuration pins one); the better of the two wins,
        /// rank fusion on a tie.
        /// </summary>
        private (List<SourceOptions> Sources, double Score, string Fusion) Fuse(List<SourceOptions> sources, IReadOnlyDictionary<string, IRecommender> models)
        {
            progress?.Report(new PipelineBuildProgress("selecting: fusion weights", (int)Math.Min(Elapsed, Budget), (int)Budget));
            long started = Stopwatch.GetTimestamp();
            // Each validation split's users' proposals, per source, best first: the first split with the search's models,
            // the further ones (when the finalists were scored on them) with the finalists fitted there.
            var splits = new List<(SelectionSplit Split, UserProposals[] Proposals)> { (split, Proposals(split, _fitData, sources, models)) };
            double estimate = _best.Values.Sum(v => v.Seconds);
            foreach (var (other, fitted) in _repeats)
            {
                if (sources.All(x => x.Kind != "model" || fitted.ContainsKey(x.Model!)) && Elapsed + estimate < Budget)
                {
                    splits.Add((other, Proposals(other, new PipelineData(other.Fit, data.Items), sources, fitted)));
                }
            }
            double Score(string fusion, double[] weights) => splits.Average(x => x.Split.Mean(
                i => fusion == "score" ? x.Proposals[i].ByScore(weights, x.Split.K) : x.Proposals[i].ByRank(weights, x.Split.K), cancellationToken));
            double[] single = new double[sources.Count];
            double singleScore = double.NegativeInfinity;
            for (int s = 0; s < sources.Count; s++)
            {
                var weights = new double[sources.Count];
                weights[s] = 1;
                double score = Score("rank", weights);
                _trials.Add(new SelectionTrial("fusion", Weights(sources, weights), score, 0));
                if (score > singleScore)
                {
                    (single, singleScore) = (weights, score);
                }
            }
            // One source alone ranks the same under either fusion: both ascents start from the best one.
            string[] fusions = options.Fusion is { } pinned ? [pinned] : ["rank", "score"];
            var (best, bestScore, bestFusion) = (single, singleScore, fusions[0]);
            foreach (string fusion in fusions)
            {
                var (weights, score) = Ascend(fusion, single, singleScore, w => Score(fusion, w));
                if (score > bestScore + 1e-9)
                {
                    (best, bestScore, bestFusion) = (weights, score, fusion);
                }
            }
            var weighted = sources.Select((s, i) => { var c = Copy(s); c.Weight = best[i]; return c; }).ToList();
            _trials.Add(new SelectionTrial("fusion", $"chosen: {bestFusion} {Weights(sources, best)}", bestScore, Stopwatch.GetElapsedTime(started).TotalSeconds));
            return (weighted, bestScore, bestFusion);

            // Coordinate ascent over the weight grid, two sweeps at most; every improving trial is recorded.
            (double[] Weights, double Score) Ascend(string fusion, double[] best, double bestScore, Func<double[], double> score)
            {
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
                            double value = score(trial);
                            if (value > bestScore + 1e-9)
                            {
                                (best, bestScore, improved) = (trial, value, true);
                                _trials.Add(new SelectionTrial("fusion", $"{fusion} {Weights(sources, best)}", value, 0));
                            }
                        }
                    }
                    if (!improved)
                    {
                        break;
                    }
                }
                return (best, bestScore);
            }
        }

        // Each validation user's proposals of one split, per source, best first, with every source's standardised
        // scores of the user's candidates (for score fusion).
        private UserProposals[] Proposals(SelectionSplit on, PipelineData fitData, List<SourceOptions> sources, IReadOnlyDictionary<string, IRecommender> models)
        {
            var fitted = new Dictionary<string, IRecommender>(models, StringComparer.Ordinal);
            var (slots, _) = PipelineBuilder.FitSources(new PipelineOptions { Sources = sources }, fitData, seed, null, fitted, cancellationToken);
            var proposals = new UserProposals[on.Users.Length];
            Parallel.For(0, on.Users.Length, new ParallelOptions { CancellationToken = cancellationToken }, i =>
            {
                int u = on.Users[i];
                var request = new SourceRequest(data.Items, u, RecommendationPipeline.HistoryOf(on.Fit, u),
                    RecommendationPipeline.LastActivityMs(on.Fit, u) ?? fitData.NewestTimestampMs);
                try
                {
                    var lists = new List<ScoredItem>[slots.Length];
                    for (int s = 0; s < slots.Length; s++)
                    {
                        lists[s] = new List<ScoredItem>(slots[s].Quota);
                        slots[s].Source.Propose(request, slots[s].Quota, lists[s]);
                    }
                    proposals[i] = UserProposals.From(slots, request, lists);
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

        /// <summary>
        /// One validation user's proposals: per source its items, best first; the candidates (every item proposed, in
        /// first-proposed order), per source which candidates it proposed, and each source's score of each
        /// candidate (NaN where a source that cannot score an item did not propose it), for score fusion.
        /// </summary>
        private sealed record UserProposals(int[][] Lists, int[] Candidates, bool[][] Proposed, float[][] Scores)
        {
            public static UserProposals From(SourceSlot[] slots, SourceRequest request, List<ScoredItem>[] lists)
            {
                var index = new Dictionary<int, int>();
                foreach (var list in lists)
                {
                    foreach (var (item, _) in list)
                    {
                        index.TryAdd(item, index.Count);
                    }
                }
                int[] candidates = [.. index.Keys];
                var scores = new float[slots.Length][];
                var proposed = new bool[slots.Length][];
                for (int s = 0; s < slots.Length; s++)
                {
                    proposed[s] = new bool[candidates.Length];
                    foreach (var (item, _) in lists[s])
                    {
                        proposed[s][index[item]] = true;
                    }
                    var values = scores[s] = new float[candidates.Length];
                    if (slots[s].Source is ICandidateScorer scorer)
                    {
                        scorer.ScoreItems(request, candidates, values);
                    }
                    else
                    {
                        Array.Fill(values, float.NaN);
                        foreach (var (item, score) in lists[s])
                        {
                            values[index[item]] = score;
                        }
                    }
                }
                return new UserProposals([.. lists.Select(l => l.Select(x => x.Item).ToArray())], candidates, proposed, scores);
            }

            // Weighted reciprocal-rank fusion, as the pipeline's merge does it; ties keep first-proposed order.
            public int[] ByRank(double[] weights, int k)
            {
                var score = new Dictionary<int, (double Score, int Order)>();
                int order = 0;
                for (int s = 0; s < Lists.Length; s++)
                {
                    for (int r = 0; r < Lists[s].Length; r++)
                    {
                        int item = Lists[s][r];
                        var current = score.TryGetValue(item, out var v) ? v : (0, order++);
                        score[item] = (current.Score + weights[s] / (RecommendationPipeline.FusionK + r + 1), current.Order);
                    }
                }
                return [.. score.OrderByDescending(p => p.Value.Score).ThenBy(p => p.Value.Order).Take(k).Select(p => p.Key)];
            }

            // Score fusion as the pipeline runs it with these weights: the sources of weight 0 dropped (and the
            // candidates only they proposed), each other source's scores standardised over the remaining candidates and
            // summed with its weight; ties keep first-proposed order.
            public int[] ByScore(double[] weights, int k)
            {
                int[] rows = [.. Enumerable.Range(0, Candidates.Length).Where(i => Enumerable.Range(0, weights.Length).Any(s => weights[s] != 0 && Proposed[s][i]))];
                var fused = new float[rows.Length];
                var values = new float[rows.Length];
                for (int s = 0; s < Scores.Length; s++)
                {
                    if (weights[s] != 0)
                    {
                        for (int j = 0; j < rows.Length; j++)
                        {
                            values[j] = Scores[s][rows[j]];
                        }
                        RecommendationPipeline.Standardise(values);
                        float w = (float)weights[s];
                        for (int j = 0; j < rows.Length; j++)
                        {
                            fused[j] += w * values[j];
                        }
                    }
                }
                return [.. Enumerable.Range(0, rows.Length).OrderByDescending(j => fused[j]).ThenBy(j => j).Take(k).Select(j => Candidates[rows[j]])];
            }
        }
    }
}
