using Cascade.Ranking.Data;

namespace Cascade.Ranking.Tests;

public sealed class CtrVocabularyTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cascade-ctr-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string name, string text)
    {
        string path = Path.Combine(_dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    private const string Train = "label,user,item\n1,u1,i1\n0,u1,i2\n0,u2,i1\n1,u3,i3\n";

    [Fact]
    public void Crlf_and_lf_files_read_alike()
    {
        string lf = Write("lf.csv", Train);
        string crlf = Write("crlf.csv", Train.Replace("\n", "\r\n", StringComparison.Ordinal));
        var fromLf = CtrVocabulary.Build(lf);
        var fromCrlf = CtrVocabulary.Build(crlf);
        Assert.Equal(fromLf.Schema, fromCrlf.Schema);
        var a = fromLf.Read(lf);
        var b = fromCrlf.Read(crlf);
        Assert.Equal(a.Categorical, b.Categorical);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(4, a.Rows);
        Assert.Equal(["user", "item"], fromLf.CategoricalColumns);
    }

    [Fact]
    public void Values_unseen_in_training_or_rarer_than_min_count_map_to_zero()
    {
        string train = Write("train.csv", Train);
        string valid = Write("valid.csv", "item,label,user\ni9,1,u1\ni1,0,u7\n");
        var vocabulary = CtrVocabulary.Build(train);
        var data = vocabulary.Read(valid);
        // Columns are matched by name, whatever their order.
        Assert.Equal(vocabulary.Code(0, "u1"), data.Categorical[0]);
        Assert.Equal(0, data.Categorical[1]); // i9 unseen
        Assert.Equal(0, data.Categorical[2]); // u7 unseen
        Assert.Equal(vocabulary.Code(1, "i1"), data.Categorical[3]);
        Assert.NotEqual(0, vocabulary.Code(1, "i1"));

        var frequent = CtrVocabulary.Build(train, minCount: 2);
        Assert.NotEqual(0, frequent.Code(0, "u1"));
        Assert.Equal(0, frequent.Code(0, "u2"));
        Assert.Equal(2, frequent.Schema.Categorical[0].Cardinality); // code 0 and u1
    }

    [Fact]
    public void A_malformed_row_names_the_file_and_line()
    {
        string bad = Write("bad.csv", "label,user,item\n1,u1,i1\n0,u2\n");
        var e = Assert.Throws<InvalidDataException>(() => CtrVocabulary.Build(bad));
        Assert.Contains("bad.csv:3", e.Message, StringComparison.Ordinal);
        string badLabel = Write("label.csv", "label,user,item\n1,u1,i1\nyes,u2,i2\n");
        var vocabulary = CtrVocabulary.Build(Write("ok.csv", Train));
        var labelError = Assert.Throws<InvalidDataException>(() => vocabulary.Read(badLabel));
        Assert.Contains("label.csv:3", labelError.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Missing_files_and_headers_without_a_label_are_refused_clearly()
    {
        Assert.Throws<FileNotFoundException>(() => CtrVocabulary.Build(Path.Combine(_dir, "absent.csv")));
        var e = Assert.Throws<InvalidDataException>(() => CtrVocabulary.Build(Write("nolabel.csv", "user,item\nu1,i1\n")));
        Assert.Contains("label", e.Message, StringComparison.Ordinal);
    }
}
