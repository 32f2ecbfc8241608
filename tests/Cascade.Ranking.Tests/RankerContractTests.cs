using Cascade.Models.Serialization;
using Cascade.Ranking.Factorisation;
using Cascade.Ranking.Linear;

namespace Cascade.Ranking.Tests;

/// <summary>One suite run against every ranker of this assembly.</summary>
public sealed class RankerContractTests
{
    public static TheoryData<string> Kinds => ["lr", "fm", "ffm"];

    private static IRanker Create(string kind) => kind switch
    {
        "lr" => new LogisticRegression(new LogisticRegressionOptions { Epochs = 2 }),
        "fm" => new FactorisationMachine(FactorisationOptions.Fm with { Factors = 4, Epochs = 2 }),
        _ => new FieldAwareFactorisationMachine(FactorisationOptions.Ffm with { Factors = 2, Epochs = 2 }),
    };

    private static IRanker Load(string kind, Stream stream) => kind switch
    {
        "lr" => LogisticRegression.Load(stream),
        "fm" => FactorisationMachine.Load(stream),
        _ => FieldAwareFactorisationMachine.Load(stream),
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Predictions_are_probabilities_and_survive_a_save_and_load(string kind)
    {
        var train = Synthetic.Logistic(2_000, seed: 1);
        var valid = Synthetic.Logistic(500, seed: 2);
        var ranker = Create(kind);
        Assert.False(ranker.IsFitted);
        ranker.Fit(train, valid);
        Assert.True(ranker.IsFitted);
        Assert.Equal(kind, ranker.Name);
        Assert.Equal(train.Schema, ranker.Schema);
        var scores = Synthetic.Predict(ranker, valid);
        Assert.All(scores, p => Assert.InRange(p, 0f, 1f));

        using var file = new MemoryStream();
        ranker.Save(file);
        file.Position = 0;
        var loaded = Load(kind, file);
        Assert.True(loaded.IsFitted);
        Assert.Equal(scores, Synthetic.Predict(loaded, valid));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_corrupt_or_truncated_model_file_is_refused(string kind)
    {
        var ranker = Create(kind);
        ranker.Fit(Synthetic.Logistic(500, seed: 3));
        using var file = new MemoryStream();
        ranker.Save(file);
        var bytes = file.ToArray();
        var flipped = (byte[])bytes.Clone();
        flipped[bytes.Length / 2] ^= 0x01;
        Assert.Throws<InvalidDataException>(() => Load(kind, new MemoryStream(flipped)));
        Assert.Throws<InvalidDataException>(() => Load(kind, new MemoryStream(bytes[..^10])));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void A_file_of_another_kind_is_refused(string kind)
    {
        using var file = new MemoryStream();
        ModelFile.Write(file, kind == "lr" ? "fm" : "lr", 1, writer => writer.Write(0));
        file.Position = 0;
        var e = Assert.Throws<InvalidDataException>(() => Load(kind, file));
        Assert.Contains(kind, e.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Predicting_before_fitting_or_on_another_schema_throws(string kind)
    {
        var ranker = Create(kind);
        var data = Synthetic.Logistic(100, seed: 4);
        Assert.Throws<InvalidOperationException>(() => ranker.Predict(data, new float[data.Rows]));
        ranker.Fit(data);
        var other = Synthetic.Interaction(10, seed: 5);
        Assert.Throws<ArgumentException>(() => ranker.Predict(other, new float[other.Rows]));
        Assert.Throws<ArgumentException>(() => ranker.Predict(data, new float[data.Rows - 1]));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void Fitting_without_labels_is_refused(string kind)
    {
        var data = Synthetic.Logistic(100, seed: 6);
        var unlabelled = new RankingDataset(data.Schema, data.Rows, data.Categorical, data.Numeric);
        Assert.Throws<ArgumentException>(() => Create(kind).Fit(unlabelled));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_same_seed_gives_the_same_model(string kind)
    {
        var train = Synthetic.Logistic(1_000, seed: 7);
        var first = Create(kind);
        var second = Create(kind);
        first.Fit(train);
        second.Fit(train);
        Assert.Equal(Synthetic.Predict(first, train), Synthetic.Predict(second, train));
    }
}
