namespace Cascade.Models;

/// <summary>
/// Selects the k best-scoring items from a dense score vector with a bounded min-heap: O(n log k) time, O(k) space.
/// Ties are broken by the lower item id so results are deterministic; NaN and −∞ mark ineligible items.
/// </summary>
public static class TopK
{
    /// <summary>Returns the top <paramref name="k"/> items of <paramref name="scores"/>, best first.</summary>
    /// <param name="scores">Score of each item (index = item id); NaN or negative infinity excludes an item.</param>
    /// <param name="k">Number of items wanted; fewer come back when fewer are eligible.</param>
    public static Recommendation[] Select(ReadOnlySpan<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        k = Math.Min(k, scores.Length);
        if (k == 0)
        {
            return [];
        }
        var items = new int[k];
        var values = new float[k];
        int size = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            float s = scores[i];
            if (float.IsNaN(s) || float.IsNegativeInfinity(s))
            {
                continue;
            }
            if (size < k)
            {
                items[size] = i;
                values[size] = s;
                SiftUp(items, values, size);
                size++;
            }
            else if (s > values[0])
            {
                // Equal scores never displace the root: the root has the lower id, which wins ties.
                items[0] = i;
                values[0] = s;
                SiftDown(items, values, 0, size);
            }
        }
        // Pop the heap (worst first) into the result from the back.
        var result = new Recommendation[size];
        for (int n = size; n > 0; n--)
        {
            result[n - 1] = new Recommendation(items[0], values[0]);
            items[0] = items[n - 1];
            values[0] = values[n - 1];
            SiftDown(items, values, 0, n - 1);
        }
        return result;
    }

    // a is worse than b: lower score, or equal score and higher id.
    private static bool Worse(float sa, int ia, float sb, int ib) => sa < sb || (sa == sb && ia > ib);

    private static void SiftUp(int[] items, float[] values, int i)
    {
        while (i > 0)
        {
            int parent = (i - 1) >> 1;
            if (!Worse(values[i], items[i], values[parent], items[parent]))
            {
                break;
            }
            (items[i], items[parent]) = (items[parent], items[i]);
            (values[i], values[parent]) = (values[parent], values[i]);
            i = parent;
        }
    }

    private static void SiftDown(int[] items, float[] values, int i, int size)
    {
        while (true)
        {
            int left = (2 * i) + 1, worst = i;
            if (left < size && Worse(values[left], items[left], values[worst], items[worst]))
            {
                worst = left;
            }
            int right = left + 1;
            if (right < size && Worse(values[right], items[right], values[worst], items[worst]))
            {
                worst = right;
            }
            if (worst == i)
            {
                return;
            }
            (items[i], items[worst]) = (items[worst], items[i]);
            (values[i], values[worst]) = (values[worst], values[i]);
            i = worst;
        }
    }
}
