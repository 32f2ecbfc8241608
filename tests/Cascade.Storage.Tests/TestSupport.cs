using System.Buffers.Binary;
using System.Text;
using Cascade.Core.Domain;
using Cascade.Storage.Log;

namespace Cascade.Storage.Tests;

/// <summary>A fresh folder under the temp directory, deleted on dispose.</summary>
public sealed class TempDirectory : IDisposable
{
    public TempDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "cascade-storage-tests", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
    }

    public string Path { get; }

    public string Combine(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A file still open by a failed test; the temp folder is cleaned by the OS eventually.
        }
    }
}

/// <summary>Helpers to write, read and damage logs in tests.</summary>
public static class LogTesting
{
    public const int HeaderSize = 32;

    public static LogEntry Entry(int i, string? key = null, RecordKind kind = RecordKind.Event) =>
        new(kind, Encoding.UTF8.GetBytes($"payload-{i:D6}"), key);

    public static string PayloadText(LogRecord r) => Encoding.UTF8.GetString(r.Payload.Span);

    public static List<(long Sequence, RecordKind Kind, string Payload)> ReadAll(EventLog log, long from = 1) =>
        [.. log.ReadFrom(from).Select(r => (r.Sequence, r.Kind, PayloadText(r)))];

    public static async Task AppendRange(EventLog log, int from, int count, int batch = 1)
    {
        for (int i = from; i < from + count; i += batch)
        {
            var entries = new List<LogEntry>();
            for (int j = i; j < Math.Min(i + batch, from + count); j++)
            {
                entries.Add(Entry(j));
            }
            await log.AppendAsync(entries);
        }
    }

    public static string[] Segments(string directory)
    {
        var files = Directory.GetFiles(directory, "*.log");
        Array.Sort(files, StringComparer.Ordinal);
        return files;
    }

    /// <summary>The byte offsets of the records of a segment, read with the documented layout (u32 body length, then 4 + body bytes).</summary>
    public static List<long> RecordOffsets(string segment)
    {
        byte[] data = File.ReadAllBytes(segment);
        var offsets = new List<long>();
        long offset = HeaderSize;
        while (offset + 8 <= data.Length)
        {
            uint body = BinaryPrimitives.ReadUInt32LittleEndian(data.AsSpan((int)offset));
            if (offset + 8 + body > data.Length)
            {
                break;
            }
            offsets.Add(offset);
            offset += 8 + body;
        }
        return offsets;
    }

    public static void FlipBit(string path, long offset, int bit = 0)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = offset;
        int b = fs.ReadByte();
        fs.Position = offset;
        fs.WriteByte((byte)(b ^ (1 << bit)));
    }

    public static void WriteAt(string path, long offset, ReadOnlySpan<byte> bytes)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.Position = offset;
        fs.Write(bytes);
    }

    public static void Truncate(string path, long length)
    {
        using var fs = new FileStream(path, FileMode.Open, FileAccess.ReadWrite);
        fs.SetLength(length);
    }

    public static void AppendBytes(string path, ReadOnlySpan<byte> bytes)
    {
        using var fs = new FileStream(path, FileMode.Append, FileAccess.Write);
        fs.Write(bytes);
    }

    public static FeedbackEvent Event(string user, string item, string type = "click", long ts = 1_700_000_000_000, double? value = null, string? eventId = null, string app = Apps.Default) =>
        new(app, eventId, user, item, type, value, ts, null, null);
}
