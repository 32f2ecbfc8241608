using System.Globalization;
using System.Text;

namespace Cascade.Ranking.Data;

/// <summary>
/// The vocabulary of a CTR data set: for each categorical column, the code of every value kept (codes from 1; 0 is
/// missing/unknown), and the names of numeric columns. Built on the training file, applied to valid and test, so a
/// value first seen outside training maps to 0.
/// </summary>
public sealed class CtrVocabulary
{
    private readonly Dictionary<string, int>[] _codes;

    private CtrVocabulary(string labelColumn, string[] categorical, Dictionary<string, int>[] codes, string[] numeric)
    {
        LabelColumn = labelColumn;
        CategoricalColumns = categorical;
        _codes = codes;
        NumericColumns = numeric;
        Schema = new FeatureSchema(
            [.. categorical.Select((name, f) => new CategoricalField(name, codes[f].Count + 1))],
            numeric);
    }

    /// <summary>Name of the label column.</summary>
    public string LabelColumn { get; }

    /// <summary>Categorical columns, in schema order.</summary>
    public IReadOnlyList<string> CategoricalColumns { get; }

    /// <summary>Numeric columns, in schema order.</summary>
    public IReadOnlyList<string> NumericColumns { get; }

    /// <summary>The schema of data sets read with this vocabulary.</summary>
    public FeatureSchema Schema { get; }

    /// <summary>The code of <paramref name="value"/> in categorical field <paramref name="field"/> (0 when unknown).</summary>
    /// <param name="field">Field index.</param>
    /// <param name="value">Raw value.</param>
    public int Code(int field, string value) => _codes[field].GetValueOrDefault(value);

    /// <summary>
    /// Reads the header and every categorical value of <paramref name="trainPath"/> and keeps values seen at least
    /// <paramref name="minCount"/> times.
    /// </summary>
    /// <param name="trainPath">CSV with a header row (CRLF or LF line ends).</param>
    /// <param name="labelColumn">Label column name.</param>
    /// <param name="numericColumns">Columns to read as numbers; every other non-label column is categorical.</param>
    /// <param name="minCount">Values seen fewer times map to code 0.</param>
    /// <exception cref="InvalidDataException">No header, no label column, or a malformed row (message names the line).</exception>
    public static CtrVocabulary Build(string trainPath, string labelColumn = "label", IReadOnlyCollection<string>? numericColumns = null, int minCount = 1)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minCount);
        numericColumns ??= [];
        using var reader = CtrCsv.Open(trainPath);
        var header = CtrCsv.ReadHeader(reader, trainPath, labelColumn);
        foreach (string column in numericColumns)
        {
            if (!header.Contains(column))
            {
                throw new InvalidDataException($"{trainPath}: numeric column '{column}' is not in the header ({string.Join(",", header)}).");
            }
        }
        var categorical = header.Where(c => c != labelColumn && !numericColumns.Contains(c)).ToArray();
        var positions = categorical.Select(c => Array.IndexOf(header, c)).ToArray();
        var counts = categorical.Select(_ => new Dictionary<string, int>(StringComparer.Ordinal)).ToArray();
        var fields = new string[header.Length];
        int line = 1;
        while (CtrCsv.ReadRow(reader, fields, trainPath, ref line))
        {
            for (int f = 0; f < categorical.Length; f++)
            {
                string value = fields[positions[f]];
                if (value.Length > 0)
                {
                    counts[f][value] = counts[f].GetValueOrDefault(value) + 1;
                }
            }
        }
        var codes = new Dictionary<string, int>[categorical.Length];
        for (int f = 0; f < categorical.Length; f++)
        {
            codes[f] = new Dictionary<string, int>(StringComparer.Ordinal);
            // Codes in order of value (ordinal), so the vocabulary does not depend on row order.
            foreach (var (value, count) in counts[f].OrderBy(p => p.Key, StringComparer.Ordinal))
            {
                if (count >= minCount)
                {
                    codes[f][value] = codes[f].Count + 1;
                }
            }
        }
        return new CtrVocabulary(labelColumn, categorical, codes, [.. header.Where(numericColumns.Contains)]);
    }

    /// <summary>Reads <paramref name="path"/> into a data set of this vocabulary's schema.</summary>
    /// <param name="path">CSV with the same columns as the training file (any order).</param>
    /// <exception cref="InvalidDataException">A column is missing, a label is not 0/1, a number does not parse, or a row is malformed.</exception>
    public RankingDataset Read(string path)
    {
        using var reader = CtrCsv.Open(path);
        var header = CtrCsv.ReadHeader(reader, path, LabelColumn);
        int labelAt = Array.IndexOf(header, LabelColumn);
        int[] categoricalAt = [.. CategoricalColumns.Select(c => IndexOrThrow(header, c, path))];
        int[] numericAt = [.. NumericColumns.Select(c => IndexOrThrow(header, c, path))];
        var categorical = new List<int>();
        var numeric = new List<float>();
        var labels = new List<float>();
        var fields = new string[header.Length];
        int line = 1;
        while (CtrCsv.ReadRow(reader, fields, path, ref line))
        {
            string label = fields[labelAt];
            labels.Add(label switch
            {
                "0" or "0.0" => 0f,
                "1" or "1.0" => 1f,
                _ => throw new InvalidDataException($"{path}:{line}: label '{label}' is not 0 or 1."),
            });
            for (int f = 0; f < categoricalAt.Length; f++)
            {
                categorical.Add(Code(f, fields[categoricalAt[f]]));
            }
            for (int j = 0; j < numericAt.Length; j++)
            {
                string text = fields[numericAt[j]];
                if (text.Length == 0)
                {
                    numeric.Add(float.NaN);
                }
                else if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out float value))
                {
                    numeric.Add(value);
                }
                else
                {
                    throw new InvalidDataException($"{path}:{line}: column '{NumericColumns[j]}' value '{text}' is not a number.");
                }
            }
        }
        return new RankingDataset(Schema, labels.Count, [.. categorical], [.. numeric], [.. labels], validate: false);
    }

    private static int IndexOrThrow(string[] header, string column, string path)
    {
        int at = Array.IndexOf(header, column);
        return at >= 0 ? at : throw new InvalidDataException($"{path}: column '{column}' of the training file is missing from the header ({string.Join(",", header)}).");
    }
}

/// <summary>Line-level CSV reading for CTR files: comma-separated, no quoting, header first, CRLF or LF.</summary>
internal static class CtrCsv
{
    public static StreamReader Open(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"CTR data file '{path}' does not exist.", path);
        }
        return new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, bufferSize: 1 << 16);
    }

    public static string[] ReadHeader(StreamReader reader, string path, string labelColumn)
    {
        string? line = reader.ReadLine();
        if (string.IsNullOrWhiteSpace(line))
        {
            throw new InvalidDataException($"{path}: the file is empty; a header row is expected.");
        }
        var header = line.Split(',').Select(c => c.Trim()).ToArray();
        if (!header.Contains(labelColumn))
        {
            throw new InvalidDataException($"{path}: the header ({line}) has no '{labelColumn}' column.");
        }
        if (header.Distinct(StringComparer.Ordinal).Count() != header.Length)
        {
            throw new InvalidDataException($"{path}: the header ({line}) repeats a column name.");
        }
        return header;
    }

    /// <summary>Reads the next non-empty row into <paramref name="fields"/>; false at end of file.</summary>
    public static bool ReadRow(StreamReader reader, string[] fields, string path, ref int line)
    {
        string? text;
        do
        {
            text = reader.ReadLine();
            line++;
            if (text is null)
            {
                return false;
            }
        }
        while (text.Length == 0);
        int column = 0;
        int start = 0;
        for (int i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || text[i] == ',')
            {
                if (column == fields.Length)
                {
                    throw new InvalidDataException($"{path}:{line}: more than the header's {fields.Length} columns.");
                }
                fields[column++] = text[start..i].Trim();
                start = i + 1;
            }
        }
        if (column != fields.Length)
        {
            throw new InvalidDataException($"{path}:{line}: {column} columns where the header has {fields.Length}.");
        }
        return true;
    }
}
