namespace Cascade.Experiments;

/// <summary>One logged decision: the context, the action the logging policy took, its probability of taking it, and the reward seen.</summary>
/// <typeparam name="TContext">The context type (a user, a request).</typeparam>
/// <param name="Context">The context.</param>
/// <param name="Action">The action taken (an index).</param>
/// <param name="Propensity">The logging policy's probability of that action in that context, above 0.</param>
/// <param name="Reward">The reward (1 for a click, 0 otherwise, or any number).</param>
public sealed record LoggedDecision<TContext>(TContext Context, int Action, double Propensity, double Reward);

/// <summary>An off-policy estimate of a target policy's mean reward, with a normal-approximation interval.</summary>
/// <param name="Method"><see cref="Methods.Ips"/>, <see cref="Methods.SelfNormalizedIps"/> or <see cref="Methods.DoublyRobust"/>.</param>
/// <param name="Value">The estimated mean reward of the target policy.</param>
/// <param name="StandardError">Its standard error, from the per-sample terms.</param>
/// <param name="Interval">Value ± z · StandardError.</param>
/// <param name="Samples">The number of logged decisions.</param>
/// <param name="EffectiveSampleSize">(Σw)² / Σw², with w the importance weights: small when the policies differ much.</param>
public sealed record OffPolicyEstimate(string Method, double Value, double StandardError, Interval Interval, int Samples, double EffectiveSampleSize);

/// <summary>
/// Off-policy estimators of a target policy's mean reward (e.g. its CTR) from decisions logged under another policy,
/// with importance weights wᵢ = π(aᵢ|xᵢ) / μ(aᵢ|xᵢ) (Dudík, Langford, Li, "Doubly robust policy evaluation and
/// learning", ICML 2011; Swaminathan and Joachims, "The self-normalized estimator for counterfactual learning", 2015).
/// Pure functions over aligned per-sample arrays; <see cref="Evaluate"/> builds the arrays from a log.
/// </summary>
public static class OffPolicy
{
    /// <summary>IPS: V̂ = (1/n) Σ wᵢ rᵢ; its standard error is the sample standard deviation of wᵢrᵢ over √n.</summary>
    /// <param name="targetProbabilities">π(aᵢ|xᵢ) per sample.</param>
    /// <param name="propensities">μ(aᵢ|xᵢ) per sample, above 0.</param>
    /// <param name="rewards">rᵢ per sample.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    public static OffPolicyEstimate Ips(ReadOnlySpan<double> targetProbabilities, ReadOnlySpan<double> propensities, ReadOnlySpan<double> rewards, double confidenceLevel = FixedHorizon.DefaultConfidence)
    {
        var terms = new double[CheckLengths(targetProbabilities, propensities, rewards)];
        for (int i = 0; i < terms.Length; i++)
        {
            terms[i] = targetProbabilities[i] / propensities[i] * rewards[i];
        }
        return FromTerms(Methods.Ips, terms, terms.Average(), targetProbabilities, propensities, confidenceLevel);
    }

    /// <summary>
    /// SNIPS: V̂ = Σ wᵢrᵢ / Σ wᵢ; its standard error by the delta method from the terms wᵢ(rᵢ − V̂) / w̄.
    /// </summary>
    /// <param name="targetProbabilities">π(aᵢ|xᵢ) per sample.</param>
    /// <param name="propensities">μ(aᵢ|xᵢ) per sample, above 0.</param>
    /// <param name="rewards">rᵢ per sample.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    public static OffPolicyEstimate SelfNormalizedIps(ReadOnlySpan<double> targetProbabilities, ReadOnlySpan<double> propensities, ReadOnlySpan<double> rewards, double confidenceLevel = FixedHorizon.DefaultConfidence)
    {
        int n = CheckLengths(targetProbabilities, propensities, rewards);
        double sumW = 0, sumWr = 0;
        for (int i = 0; i < n; i++)
        {
            double w = targetProbabilities[i] / propensities[i];
            sumW += w;
            sumWr += w * rewards[i];
        }
        double value = sumW > 0 ? sumWr / sumW : 0;
        double meanW = sumW / n;
        var terms = new double[n];
        for (int i = 0; i < n; i++)
        {
            terms[i] = meanW > 0 ? targetProbabilities[i] / propensities[i] * (rewards[i] - value) / meanW : 0;
        }
        return FromTerms(Methods.SelfNormalizedIps, terms, value, targetProbabilities, propensities, confidenceLevel);
    }

    /// <summary>
    /// Doubly robust: V̂ = (1/n) Σ [ Σₐ π(a|xᵢ) r̂(xᵢ, a) + wᵢ (rᵢ − r̂(xᵢ, aᵢ)) ]: unbiased when either the propensities or
    /// the reward model r̂ are right; its standard error from the per-sample terms.
    /// </summary>
    /// <param name="targetProbabilities">π(aᵢ|xᵢ) per sample.</param>
    /// <param name="propensities">μ(aᵢ|xᵢ) per sample, above 0.</param>
    /// <param name="rewards">rᵢ per sample.</param>
    /// <param name="modelRewards">r̂(xᵢ, aᵢ): the reward model at the logged action.</param>
    /// <param name="modelValues">Σₐ π(a|xᵢ) r̂(xᵢ, a): the reward model's value of the target policy in context xᵢ.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    public static OffPolicyEstimate DoublyRobust(ReadOnlySpan<double> targetProbabilities, ReadOnlySpan<double> propensities, ReadOnlySpan<double> rewards,
        ReadOnlySpan<double> modelRewards, ReadOnlySpan<double> modelValues, double confidenceLevel = FixedHorizon.DefaultConfidence)
    {
        int n = CheckLengths(targetProbabilities, propensities, rewards);
        if (modelRewards.Length != n || modelValues.Length != n)
        {
            throw new ArgumentException($"The reward model's arrays must have one entry per sample ({n}); got {modelRewards.Length} and {modelValues.Length}.", nameof(modelRewards));
        }
        var terms = new double[n];
        for (int i = 0; i < n; i++)
        {
            terms[i] = modelValues[i] + (targetProbabilities[i] / propensities[i] * (rewards[i] - modelRewards[i]));
        }
        return FromTerms(Methods.DoublyRobust, terms, terms.Average(), targetProbabilities, propensities, confidenceLevel);
    }

    /// <summary>IPS, SNIPS and DR (when a reward model is given) of a target policy over a log.</summary>
    /// <typeparam name="TContext">The context type.</typeparam>
    /// <param name="log">The logged decisions.</param>
    /// <param name="actionCount">The number of actions (actions are 0 … actionCount − 1).</param>
    /// <param name="targetProbability">π(a|x): the target policy's probability of action a in context x.</param>
    /// <param name="rewardModel">r̂(x, a): a model of the expected reward, or null to skip DR.</param>
    /// <param name="confidenceLevel">The interval level.</param>
    public static IReadOnlyList<OffPolicyEstimate> Evaluate<TContext>(IReadOnlyList<LoggedDecision<TContext>> log, int actionCount,
        Func<TContext, int, double> targetProbability, Func<TContext, int, double>? rewardModel = null, double confidenceLevel = FixedHorizon.DefaultConfidence)
    {
        ArgumentNullException.ThrowIfNull(log);
        ArgumentNullException.ThrowIfNull(targetProbability);
        int n = log.Count;
        var pi = new double[n];
        var mu = new double[n];
        var r = new double[n];
        for (int i = 0; i < n; i++)
        {
            pi[i] = targetProbability(log[i].Context, log[i].Action);
            mu[i] = log[i].Propensity;
            r[i] = log[i].Reward;
        }
        var estimates = new List<OffPolicyEstimate> { Ips(pi, mu, r, confidenceLevel), SelfNormalizedIps(pi, mu, r, confidenceLevel) };
        if (rewardModel is not null)
        {
            var atLogged = new double[n];
            var underTarget = new double[n];
            for (int i = 0; i < n; i++)
            {
                atLogged[i] = rewardModel(log[i].Context, log[i].Action);
                for (int a = 0; a < actionCount; a++)
                {
                    double p = targetProbability(log[i].Context, a);
                    underTarget[i] += p > 0 ? p * rewardModel(log[i].Context, a) : 0;
                }
            }
            estimates.Add(DoublyRobust(pi, mu, r, atLogged, underTarget, confidenceLevel));
        }
        return estimates;
    }

    private static int CheckLengths(ReadOnlySpan<double> targetProbabilities, ReadOnlySpan<double> propensities, ReadOnlySpan<double> rewards)
    {
        if (targetProbabilities.Length != propensities.Length || propensities.Length != rewards.Length || rewards.Length < 2)
        {
            throw new ArgumentException($"Off-policy estimators need at least 2 samples and aligned arrays; got {targetProbabilities.Length} target probabilities, {propensities.Length} propensities and {rewards.Length} rewards.", nameof(propensities));
        }
        foreach (double p in propensities)
        {
            if (!(p > 0 && p <= 1))
            {
                throw new ArgumentOutOfRangeException(nameof(propensities), p, "Every logging propensity must lie in (0, 1]; a zero propensity cannot be reweighted.");
            }
        }
        return rewards.Length;
    }

    private static OffPolicyEstimate FromTerms(string method, double[] terms, double value, ReadOnlySpan<double> targetProbabilities, ReadOnlySpan<double> propensities, double confidenceLevel)
    {
        double se = Math.Sqrt(SampleSummary.FromValues(terms).VarianceOfMean);
        double z = Normal.Quantile(1 - ((1 - confidenceLevel) / 2));
        double sumW = 0, sumW2 = 0;
        for (int i = 0; i < targetProbabilities.Length; i++)
        {
            double w = targetProbabilities[i] / propensities[i];
            sumW += w;
            sumW2 += w * w;
        }
        double ess = sumW2 > 0 ? sumW * sumW / sumW2 : 0;
        return new OffPolicyEstimate(method, value, se, Interval.Around(value, z * se), terms.Length, ess);
    }
}
