using Cascade.Core;

namespace Cascade.Models.Tests;

/// <summary>Small deterministic interaction matrices for tests: users in taste clusters, ratings 1–5, timestamps.</summary>
internal static class SyntheticData
{
    public const int Users = 60;
    public const int Items = 40;

    /// <summary>User <see cref="EmptyUser"/> has no interactions and item <see cref="UntouchedItem"/> none either.</summary>
    public const int EmptyUser = 7;

    public const int UntouchedItem = 33;

    public static CsrMatrix Create(int seed = 7)
    {
        var random = new Random(seed);
        var builder = new CsrMatrixBuilder();
        long baseTime = 1_700_000_000_000;
        for (int u = 0; u < Users; u++)
        {
            if (u == EmptyUser)
            {
                continue;
            }
            int cluster = u % 4;
            int count = 5 + random.Next(10);
            for (int n = 0; n < count; n++)
            {
                // Mostly items of the user's cluster (10 items each), sometimes any item.
                int item = random.NextDouble() < 0.8 ? (cluster * 10) + random.Next(10) : random.Next(Items);
                if (item == UntouchedItem)
                {
                    continue;
                }
                builder.Add(u, item, 1 + random.Next(5), baseTime + (random.Next(100) * 86_400_000L));
            }
        }
        // Duplicate (user, item) pairs merge into one entry with summed weight; clamp so ratings stay in 1..5 for MF.
        CsrMatrix m = builder.Build(Users, Items);
        var values = new float[m.NonZeros];
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = Math.Min(m.Values[i], 5f);
        }
        return new CsrMatrix(m.Rows, m.Columns, m.RowPointers, m.ColumnIndices, values, m.Timestamps);
    }

    /// <summary>A matrix from rows of (item, value) with a shared timestamp.</summary>
    public static CsrMatrix FromRows(int items, params (int Item, float Value)[][] rows)
    {
        var builder = new CsrMatrixBuilder();
        for (int u = 0; u < rows.Length; u++)
        {
            foreach (var (item, value) in rows[u])
            {
                builder.Add(u, item, value, 0);
            }
        }
        return builder.Build(rows.Length, items);
    }
}
