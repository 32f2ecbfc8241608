using System.Globalization;
using System.Text;
using Cascade.Ranking;

namespace Cascade.Trees.Bench;

/// <summary>
/// A deterministic binary data set with a non-linear signal: features uniform on [−2, 2] rounded to 4 decimals (so
/// the CSV holds exactly the floats trained on), 5% missing in features 10–19, and a label drawn from σ(logit) where
/// logit = 1.2·sin(2·x0) + x1·x2 + (x3 &gt; 0.3 ? x4 : −0.5·x4) + 0.4·x5² − 0.8 + 0.8·tanh(x6 + x7) + Σ_{j=8..15} 0.15·x_j
/// + 0.5·[x10 missing] + 0.6·x10·[x11 &gt; 0]; features 16 and up are noise.
/// </summary>
internal static class SyntheticData
{
    public static RankingDataset Generate(int rows, int features, ulong seed)
    {
        if (features < 20)
        {
            throw new ArgumentOutOfRangeException(nameof(features), features, "the signal uses 20 features; pass at least 20.");
        }
        var x = new float[(long)rows * features];
        var labels = new float[rows];
        var random = new Rng(seed);
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * features, features);
            for (int j = 0; j < features; j++)
            {
                row[j] = (float)(Math.Round(((random.NextDouble() * 4) - 2) * 10000) / 10000);
            }
            bool x10Missing = false;
            for (int j = 10; j < 20; j++)
            {
                if (random.NextDouble() < 0.05)
                {
                    if (j == 10)
                    {
                        x10Missing = true;
                    }
                    row[j] = float.NaN;
                }
            }
            double logit = (1.2 * Math.Sin(2 * row[0])) + (row[1] * row[2]) + (row[3] > 0.3 ? row[4] : -0.5 * row[4])
                + (0.4 * row[5] * row[5]) - 0.8 + (0.8 * Math.Tanh(row[6] + row[7]));
            for (int j = 8; j < 16; j++)
            {
                logit += 0.15 * row[j];
            }
            logit += x10Missing ? 0.5 : (float.IsNaN(row[11]) || row[11] <= 0 ? 0 : 0.6 * row[10]);
            labels[r] = random.NextDouble() < 1 / (1 + Math.Exp(-logit)) ? 1 : 0;
        }
        var schema = new FeatureSchema([], [.. Enumerable.Range(0, features).Select(j => $"f{j}")]);
        return new RankingDataset(schema, rows, [], x, labels);
    }

    /// <summary>Writes label then the numeric values as CSV (empty field = missing).</summary>
    public static void WriteCsv(RankingDataset data, string path)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 20);
        writer.Write("label");
        foreach (string name in data.Schema.Numeric)
        {
            writer.Write(',');
            writer.Write(name);
        }
        writer.Write('\n');
        int width = data.Schema.NumericCount;
        var line = new StringBuilder(16 * width);
        for (int r = 0; r < data.Rows; r++)
        {
            line.Clear();
            line.Append(data.Labels![r] > 0.5f ? '1' : '0');
            foreach (float v in data.NumericRow(r))
            {
                line.Append(',');
                if (!float.IsNaN(v))
                {
                    line.Append(v.ToString("R", CultureInfo.InvariantCulture));
                }
            }
            line.Append('\n');
            writer.Write(line);
        }
    }

    /// <summary>Writes a matrix of float32, row-major, label first then the feature columns (NaN = missing).</summary>
    public static void WriteF32(string path, int rows, int columns, Func<int, int, float> value)
    {
        using var stream = new BufferedStream(File.Create(path), 1 << 20);
        var buffer = new byte[columns * 4];
        for (int r = 0; r < rows; r++)
        {
            for (int c = 0; c < columns; c++)
            {
                BitConverter.TryWriteBytes(buffer.AsSpan(c * 4), value(r, c));
            }
            stream.Write(buffer);
        }
    }

    /// <summary>Reads a file written by <see cref="WriteF32"/> into a numeric data set.</summary>
    public static RankingDataset ReadF32(string path, int features)
    {
        var bytes = File.ReadAllBytes(path);
        int columns = features + 1;
        int rows = bytes.Length / 4 / columns;
        var all = new float[rows * columns];
        Buffer.BlockCopy(bytes, 0, all, 0, rows * columns * 4);
        var x = new float[rows * features];
        var labels = new float[rows];
        for (int r = 0; r < rows; r++)
        {
            labels[r] = all[r * columns];
            all.AsSpan((r * columns) + 1, features).CopyTo(x.AsSpan(r * features, features));
        }
        var schema = new FeatureSchema([], [.. Enumerable.Range(0, features).Select(j => $"f{j}")]);
        return new RankingDataset(schema, rows, [], x, labels);
    }

    /// <summary>SplitMix64: the same sequence on every runtime.</summary>
    private sealed class Rng(ulong seed)
    {
        private ulong _state = seed;

        public double NextDouble()
        {
            ulong z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return ((z ^ (z >> 31)) >> 11) * (1.0 / (1UL << 53));
        }
    }
}
