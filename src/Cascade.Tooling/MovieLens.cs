using System.Globalization;
using System.Text;
using System.Text.Json;
using Cascade.Serving.Ingestion;

namespace Cascade.Tooling;

/// <summary>
/// Reads a MovieLens folder in the ml-100k layout (u.data, u.item, u.user, u.genre) or the ml-1m layout
/// (ratings.dat, movies.dat, users.dat) as Cascade inputs: movies become items with their genres as categories,
/// ratings become <c>rating</c> events with the star value.
/// </summary>
public sealed class MovieLens
{
    private MovieLens(string directory, bool is100k)
    {
        Directory = directory;
        Is100K = is100k;
    }

    /// <summary>The folder.</summary>
    public string Directory { get; }

    /// <summary>True for the ml-100k layout, false for ml-1m.</summary>
    public bool Is100K { get; }

    /// <summary>Recognises the layout of <paramref name="directory"/>.</summary>
    /// <exception cref="FileNotFoundException">Neither layout's files are there.</exception>
    public static MovieLens Open(string directory)
    {
        if (File.Exists(Path.Combine(directory, "u.data")) && File.Exists(Path.Combine(directory, "u.item")))
        {
            return new MovieLens(directory, true);
        }
        if (File.Exists(Path.Combine(directory, "ratings.dat")) && File.Exists(Path.Combine(directory, "movies.dat")))
        {
            return new MovieLens(directory, false);
        }
        throw new FileNotFoundException($"'{directory}' is not a MovieLens folder: expected u.data + u.item (ml-100k) or ratings.dat + movies.dat (ml-1m).");
    }

    /// <summary>The ratings file, for progress by size.</summary>
    public string RatingsPath => Path.Combine(Directory, Is100K ? "u.data" : "ratings.dat");

    /// <summary>The movies as items.</summary>
    public IEnumerable<ItemInput> Items()
    {
        if (Is100K)
        {
            var genres = File.ReadAllLines(Path.Combine(Directory, "u.genre"), Encoding.Latin1)
                .Where(l => l.Contains('|', StringComparison.Ordinal)).Select(l => l.Split('|')[0]).ToArray();
            foreach (var line in File.ReadLines(Path.Combine(Directory, "u.item"), Encoding.Latin1))
            {
                var f = line.Split('|');
                if (f.Length < 5 + genres.Length)
                {
                    continue;
                }
                var cats = new List<string>();
                for (int g = 0; g < genres.Length; g++)
                {
                    if (f[5 + g] == "1")
                    {
                        cats.Add(genres[g]);
                    }
                }
                DateTimeOffset? released = DateTimeOffset.TryParseExact(f[2], "dd-MMM-yyyy", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) ? d : null;
                yield return new ItemInput { Id = f[0], Title = f[1], Categories = cats, Tags = [], CreatedAt = released, Attributes = JsonSerializer.SerializeToElement(new { url = f[4] }) };
            }
        }
        else
        {
            foreach (var line in File.ReadLines(Path.Combine(Directory, "movies.dat"), Encoding.Latin1))
            {
                var f = line.Split("::");
                if (f.Length < 3)
                {
                    continue;
                }
                yield return new ItemInput { Id = f[0], Title = f[1], Categories = f[2].Split('|', StringSplitOptions.RemoveEmptyEntries), Tags = [] };
            }
        }
    }

    /// <summary>The users, with their demographic attributes.</summary>
    public IEnumerable<UserInput> Users()
    {
        string path = Path.Combine(Directory, Is100K ? "u.user" : "users.dat");
        if (!File.Exists(path))
        {
            yield break;
        }
        foreach (var line in File.ReadLines(path, Encoding.Latin1))
        {
            var f = Is100K ? line.Split('|') : line.Split("::");
            if (f.Length < 5)
            {
                continue;
            }
            var attrs = Is100K
                ? JsonSerializer.SerializeToElement(new { age = int.Parse(f[1], CultureInfo.InvariantCulture), gender = f[2], occupation = f[3], zip = f[4] })
                : JsonSerializer.SerializeToElement(new { gender = f[1], age = int.Parse(f[2], CultureInfo.InvariantCulture), occupation = f[3], zip = f[4] });
            yield return new UserInput { Id = f[0], Attributes = attrs };
        }
    }

    /// <summary>
    /// The ratings as rating events (value = stars, timestamp from the file), each with a deterministic event id
    /// (<c>ml:USER:ITEM:TIME</c>), so importing the same folder twice stores every rating once.
    /// </summary>
    public IEnumerable<EventInput> Ratings(IProgress<long>? bytesRead = null)
    {
        using var stream = File.OpenRead(RatingsPath);
        using var reader = new StreamReader(stream, Encoding.Latin1);
        int line = 0;
        while (reader.ReadLine() is { } text)
        {
            line++;
            var f = Is100K ? text.Split('\t') : text.Split("::");
            if (f.Length < 4)
            {
                throw new InvalidDataException($"{RatingsPath}:{line}: expected 4 fields 'user item rating time', found {f.Length}.");
            }
            if ((line & 4095) == 0)
            {
                bytesRead?.Report(stream.Position);
            }
            yield return new EventInput
            {
                EventId = $"ml:{f[0]}:{f[1]}:{f[3]}",
                UserId = f[0],
                ItemId = f[1],
                Type = "rating",
                Value = double.Parse(f[2], CultureInfo.InvariantCulture),
                Timestamp = FileReaders.ParseTime(f[3], RatingsPath, line),
            };
        }
        bytesRead?.Report(stream.Length);
    }
}
