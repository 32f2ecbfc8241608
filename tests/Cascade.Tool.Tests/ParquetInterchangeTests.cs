using System.Text.Json.Serialization;
using Cascade.Tooling;
using Parquet.Serialization;

namespace Cascade.Tool.Tests;

/// <summary>`cascade export parquet` and `cascade import parquet` through the real command.</summary>
public sealed class ParquetInterchangeTests
{
    private static readonly string[] Tables = ["events", "items", "users"];

    [Fact]
    public void Exported_data_imported_into_a_fresh_folder_exports_to_the_same_files()
    {
        using var temp = Cli.TempDir();
        string generated = Path.Combine(temp.Path, "generated"), first = Path.Combine(temp.Path, "first"), second = Path.Combine(temp.Path, "second");
        string exportA = Path.Combine(temp.Path, "export-a"), exportB = Path.Combine(temp.Path, "export-b");
        Ok(Cli.Cascade("generate", "--users", "40", "--items", "60", "--events", "2000", "--seed", "5", "--out", generated));
        foreach (string kind in new[] { "items", "users", "events" })
        {
            Ok(Cli.Cascade("--data-dir", first, "import", "jsonl", Path.Combine(generated, kind + ".jsonl"), "--kind", kind));
        }
        Ok(Cli.Cascade("--data-dir", first, "batch", "--n", "5"));

        string exported = Ok(Cli.Cascade("--data-dir", first, "export", "parquet", exportA));
        foreach (string kind in new[] { "items", "users", "events" })
        {
            string imported = Ok(Cli.Cascade("--data-dir", second, "import", "parquet", Path.Combine(exportA, kind + ".parquet"), "--kind", kind));
            Assert.Contains($"{kind}: ", imported, StringComparison.Ordinal);
            Assert.Contains(" 0 invalid", imported, StringComparison.Ordinal);
        }
        Ok(Cli.Cascade("--data-dir", second, "export", "parquet", exportB));

        Assert.Contains("40 users", exported, StringComparison.Ordinal);
        Assert.Contains("60 items", exported, StringComparison.Ordinal);
        Assert.Contains("200 recommendations", exported, StringComparison.Ordinal);
        Assert.Equal(ParquetFiles.CountRows(Path.Combine(exportA, "events.parquet")), ParquetFiles.Events(Path.Combine(exportB, "events.parquet")).Count());
        Assert.Equal(200, ParquetFiles.CountRows(Path.Combine(exportA, "recommendations.parquet")));
        // The same records in the same order, so the writer makes the same bytes.
        foreach (string table in Tables)
        {
            Assert.True(
                File.ReadAllBytes(Path.Combine(exportA, table + ".parquet")).AsSpan().SequenceEqual(File.ReadAllBytes(Path.Combine(exportB, table + ".parquet"))),
                $"{table}.parquet differs after the round trip");
        }
        // Lists (categories) and titles survive the trip.
        var items = ParquetFiles.Items(Path.Combine(exportB, "items.parquet")).ToList();
        Assert.All(items, i => Assert.False(string.IsNullOrEmpty(i.Title)));
        Assert.Contains(items, i => i.Categories is { Count: > 0 });
    }

    [Fact]
    public void A_file_that_is_not_parquet_is_an_error_naming_the_file()
    {
        using var temp = Cli.TempDir();
        string file = Path.Combine(temp.Path, "events.parquet");
        File.WriteAllText(file, "userId,itemId,type\nu1,i1,click\n");

        var (code, stdout, stderr) = Cli.Cascade("--data-dir", Path.Combine(temp.Path, "data"), "import", "parquet", file);

        Assert.Equal(1, code);
        Assert.Contains("error:", stdout + stderr, StringComparison.Ordinal);
        Assert.Contains("events.parquet", stdout + stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled", stdout + stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_with_only_the_required_event_columns_imports()
    {
        using var temp = Cli.TempDir();
        string file = Path.Combine(temp.Path, "clicks.parquet");
        await ParquetSerializer.SerializeAsync(
            Enumerable.Range(0, 30).Select(i => new MinimalEvent { User = $"u{i % 7}", Item = $"i{i % 11}", Type = "click" }), file);

        string output = Ok(Cli.Cascade("--data-dir", Path.Combine(temp.Path, "data"), "import", "parquet", file));

        Assert.Contains("events: 30 stored, 0 duplicates, 0 invalid", output, StringComparison.Ordinal);
    }

    [Fact]
    public void A_file_of_another_kind_is_an_error_naming_the_missing_column()
    {
        using var temp = Cli.TempDir();
        string data = Path.Combine(temp.Path, "data"), export = Path.Combine(temp.Path, "export");
        Ok(Cli.Cascade("--data-dir", data, "import", "parquet", WriteItems(temp.Path), "--kind", "items"));
        Ok(Cli.Cascade("--data-dir", data, "export", "parquet", export));

        var (code, stdout, stderr) = Cli.Cascade("--data-dir", data, "import", "parquet", Path.Combine(export, "items.parquet"), "--kind", "events");

        Assert.Equal(1, code);
        Assert.Contains("no 'userId' column, which events need", stdout + stderr, StringComparison.Ordinal);
    }

    private static string WriteItems(string folder)
    {
        string file = Path.Combine(folder, "items.jsonl");
        File.WriteAllLines(file, ["""{"id":"i1","title":"One","categories":["a"]}""", """{"id":"i2","title":"Two"}"""]);
        string parquet = Path.Combine(folder, "items-source");
        Ok(Cli.Cascade("--data-dir", Path.Combine(folder, "source"), "import", "jsonl", file, "--kind", "items"));
        Ok(Cli.Cascade("--data-dir", Path.Combine(folder, "source"), "export", "parquet", parquet));
        return Path.Combine(parquet, "items.parquet");
    }

    [Fact]
    public async Task Events_with_integer_values_and_positions_and_unix_second_timestamps_are_read_as_the_csv_import_reads_them()
    {
        using var temp = Cli.TempDir();
        string file = Path.Combine(temp.Path, "ratings.parquet");
        await ParquetSerializer.SerializeAsync([new WidenedEvent { User = "u1", Item = "i1", Type = "rating", Value = 4, Time = 1_700_000_000, Position = 3 }], file);

        var e = Assert.Single(ParquetFiles.Events(file));

        Assert.Equal(4.0, e.Value);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000), e.Timestamp);
        Assert.Equal(3, e.Position);
        Assert.Equal(("u1", "i1", "rating"), (e.UserId, e.ItemId, e.Type));
    }

    /// <summary>Types other writers use: integers where the layout has a double, an int32 and a timestamp.</summary>
    private sealed class WidenedEvent : MinimalEvent
    {
        [JsonPropertyName("value")]
        public int Value { get; set; }

        [JsonPropertyName("timestamp")]
        public long Time { get; set; }

        [JsonPropertyName("position")]
        public long Position { get; set; }
    }

    /// <summary>What another tool might write: the three required columns and nothing else.</summary>
    private class MinimalEvent
    {
        [JsonPropertyName("userId")]
        public string? User { get; set; }

        [JsonPropertyName("itemId")]
        public string? Item { get; set; }

        [JsonPropertyName("type")]
        public string? Type { get; set; }
    }

    private static string Ok((int ExitCode, string Stdout, string Stderr) run)
    {
        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        return run.Stdout;
    }
}
