using Cascade.Tooling;

namespace Cascade.Serving.Tests;

public sealed class FileReaderTests
{
    [Fact]
    public void Csv_events_are_read_with_quotes_crlf_and_optional_columns()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("e.csv"), "userId,itemId,type,timestamp,value,position\r\n" +
            "u1,i1,click,2026-01-01T00:00:00Z,,3\r\n" +
            "\"u,2\",\"i \"\"2\"\"\",rating,1767225600,4.5,\r\n");
        var events = FileReaders.CsvEvents(dir.File("e.csv")).ToList();
        Assert.Equal(2, events.Count);
        Assert.Equal(("u1", "i1", "click", 3), (events[0].UserId, events[0].ItemId, events[0].Type, events[0].Position!.Value));
        Assert.Null(events[0].Value);
        Assert.Equal("u,2", events[1].UserId);
        Assert.Equal("i \"2\"", events[1].ItemId);
        Assert.Equal(4.5, events[1].Value);
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(1767225600), events[1].Timestamp);
    }

    [Theory]
    [InlineData("user,itemId,type\nu,i,click\n", "'userId'")]
    [InlineData("userId,itemId,type,color\nu,i,click,red\n", "unknown column 'color'")]
    [InlineData("userId,itemId,type\nu,i\n", ":2: 2 fields")]
    [InlineData("userId,itemId,type,timestamp\nu,i,click,soon\n", ":2: timestamp 'soon'")]
    [InlineData("", "empty")]
    public void Malformed_csv_is_refused_with_the_file_and_line(string content, string expected)
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("bad.csv"), content);
        var ex = Assert.Throws<InvalidDataException>(() => FileReaders.CsvEvents(dir.File("bad.csv")).ToList());
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_lines_name_the_line_of_a_malformed_record()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("e.jsonl"), "{\"userId\":\"u\",\"itemId\":\"i\",\"type\":\"click\"}\n\n{\"userId\":\"u\",\"oops\":1}\n");
        var ex = Assert.Throws<InvalidDataException>(() => FileReaders.JsonLines<Ingestion.EventInput>(dir.File("e.jsonl")).ToList());
        Assert.Contains(":3:", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_movielens_100k_folder_is_read_as_items_users_and_rating_events()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("u.genre"), "unknown|0\nAction|1\nComedy|2\n\n");
        File.WriteAllText(dir.File("u.item"), "1|Toy Story (1995)|01-Jan-1995||http://x|0|0|1\n2|GoldenEye (1995)|01-Jan-1995||http://y|0|1|0\n");
        File.WriteAllText(dir.File("u.user"), "1|24|M|technician|85711\n");
        File.WriteAllText(dir.File("u.data"), "1\t1\t5\t874965758\n1\t2\t3\t876893171\n");
        var ml = MovieLens.Open(dir.Path);
        Assert.True(ml.Is100K);
        var items = ml.Items().ToList();
        Assert.Equal(["Comedy"], items[0].Categories);
        Assert.Equal(["Action"], items[1].Categories);
        Assert.Equal("Toy Story (1995)", items[0].Title);
        Assert.Equal("technician", ml.Users().Single().Attributes!.Value.GetProperty("occupation").GetString());
        var ratings = ml.Ratings().ToList();
        Assert.Equal(2, ratings.Count);
        Assert.Equal(("1", "1", "rating", 5.0), (ratings[0].UserId, ratings[0].ItemId, ratings[0].Type, ratings[0].Value!.Value));
        Assert.Equal(DateTimeOffset.FromUnixTimeSeconds(874965758), ratings[0].Timestamp);
        // Deterministic event ids: a second import of the same folder is all duplicates.
        Assert.Equal("ml:1:1:874965758", ratings[0].EventId);
        Assert.Equal(ratings.Select(r => r.EventId), ml.Ratings().Select(r => r.EventId));
    }

    [Fact]
    public void A_movielens_1m_folder_is_recognised()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir.File("movies.dat"), "1::Toy Story (1995)::Animation|Children's|Comedy\n");
        File.WriteAllText(dir.File("ratings.dat"), "1::1::5::978300760\n");
        File.WriteAllText(dir.File("users.dat"), "1::F::1::10::48067\n");
        var ml = MovieLens.Open(dir.Path);
        Assert.False(ml.Is100K);
        Assert.Equal(["Animation", "Children's", "Comedy"], ml.Items().Single().Categories);
        Assert.Equal(5.0, ml.Ratings().Single().Value);
        Assert.Equal("F", ml.Users().Single().Attributes!.Value.GetProperty("gender").GetString());
    }

    [Fact]
    public void A_folder_that_is_not_movielens_is_refused()
    {
        using var dir = new TempDir();
        var ex = Assert.Throws<FileNotFoundException>(() => MovieLens.Open(dir.Path));
        Assert.Contains("u.data", ex.Message, StringComparison.Ordinal);
    }
}
