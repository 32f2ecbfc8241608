using Cascade.Core;
using Cascade.Models.Serialization;

namespace Cascade.Models.Tests;

/// <summary>
/// The contract every recommender must honour. Each model's test class derives from this and supplies
/// <see cref="CreateModel"/>; later models (ALS, BPR, two-tower) add a derived class and pass the same tests.
/// </summary>
public abstract class RecommenderContractTests
{
    /// <summary>A new, unfitted model with fixed options and seed.</summary>
    protected abstract IRecommender CreateModel();

    private readonly CsrMatrix _data = SyntheticData.Create();

    private IRecommender Fitted()
    {
        var model = CreateModel();
        model.Fit(_data);
        return model;
    }

    [Fact]
    public void Recommendations_exclude_every_seen_item_when_asked()
    {
        var model = Fitted();
        for (int u = 0; u < _data.Rows; u++)
        {
            var seen = _data.RowIndices(u).ToArray();
            foreach (var r in model.Recommend(u, 10, excludeSeen: true))
            {
                Assert.DoesNotContain(r.Item, seen);
            }
        }
    }

    [Fact]
    public void Recommendations_are_distinct_in_range_and_ordered_by_score()
    {
        var model = Fitted();
        for (int u = 0; u < _data.Rows; u += 5)
        {
            var list = model.Recommend(u, 10);
            Assert.Equal(10, list.Length);
            Assert.Equal(list.Length, list.Select(r => r.Item).Distinct().Count());
            Assert.All(list, r => Assert.InRange(r.Item, 0, _data.Columns - 1));
            for (int i = 1; i < list.Length; i++)
            {
                Assert.True(list[i - 1].Score >= list[i].Score, $"user {u}: rank {i} scores {list[i].Score} above rank {i - 1}'s {list[i - 1].Score}");
            }
        }
    }

    [Fact]
    public void Including_seen_items_can_return_them_and_never_returns_more_than_the_catalogue()
    {
        var model = Fitted();
        var all = model.Recommend(0, _data.Columns + 10, excludeSeen: false);
        Assert.Equal(_data.Columns, all.Length);
        var unseen = model.Recommend(0, _data.Columns + 10, excludeSeen: true);
        Assert.Equal(_data.Columns - _data.RowLength(0), unseen.Length);
    }

    [Fact]
    public void Fitting_twice_on_the_same_data_gives_identical_results()
    {
        var a = Fitted();
        var b = Fitted();
        for (int u = 0; u < _data.Rows; u++)
        {
            Assert.Equal(a.Recommend(u, 10), b.Recommend(u, 10));
        }
        Assert.Equal(a.SimilarItems(3, 5), b.SimilarItems(3, 5));
    }

    [Fact]
    public void Batch_recommendations_equal_one_by_one_recommendations()
    {
        var model = Fitted();
        int[] users = Enumerable.Range(0, _data.Rows).Reverse().ToArray();
        var batch = model.RecommendBatch(users, 7);
        for (int i = 0; i < users.Length; i++)
        {
            Assert.Equal(model.Recommend(users[i], 7), batch[i]);
        }
    }

    [Fact]
    public void A_saved_and_loaded_model_gives_identical_recommendations_and_similar_items()
    {
        var model = Fitted();
        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        var loaded = ModelFile.Load(stream);
        Assert.Equal(model.Name, loaded.Name);
        Assert.Equal(model.GetType(), loaded.GetType());
        Assert.Equal(model.UserCount, loaded.UserCount);
        Assert.Equal(model.ItemCount, loaded.ItemCount);
        for (int u = 0; u < _data.Rows + 2; u++)
        {
            Assert.Equal(model.Recommend(u, 10), loaded.Recommend(u, 10));
        }
        for (int i = 0; i < _data.Columns; i++)
        {
            Assert.Equal(model.SimilarItems(i, 5), loaded.SimilarItems(i, 5));
        }
    }

    [Fact]
    public void A_corrupted_model_file_is_refused()
    {
        var model = Fitted();
        using var stream = new MemoryStream();
        model.Save(stream);
        byte[] bytes = stream.ToArray();
        bytes[bytes.Length / 2] ^= 0x40;
        Assert.Throws<InvalidDataException>(() => ModelFile.Load(new MemoryStream(bytes)));
        Assert.Throws<InvalidDataException>(() => ModelFile.Load(new MemoryStream(bytes.AsSpan(0, bytes.Length - 9).ToArray())));
    }

    [Fact]
    public void Users_with_no_history_or_unknown_ids_get_recommendations()
    {
        var model = Fitted();
        var empty = model.Recommend(SyntheticData.EmptyUser, 5);
        Assert.Equal(5, empty.Length);
        var unknown = model.Recommend(_data.Rows + 100, 5);
        Assert.Equal(5, unknown.Length);
        Assert.Equal(empty.Select(r => r.Item), unknown.Select(r => r.Item));
    }

    [Fact]
    public void Items_with_no_history_get_similar_items_and_no_item_is_similar_to_itself()
    {
        var model = Fitted();
        var similar = model.SimilarItems(SyntheticData.UntouchedItem, 5);
        Assert.Equal(5, similar.Length);
        for (int i = 0; i < _data.Columns; i++)
        {
            Assert.DoesNotContain(i, model.SimilarItems(i, 5).Select(r => r.Item));
        }
    }

    [Fact]
    public void Scores_cover_the_whole_catalogue_and_a_wrong_buffer_is_rejected()
    {
        var model = Fitted();
        var scores = new float[_data.Columns];
        model.Score(0, scores);
        Assert.All(scores, s => Assert.True(float.IsFinite(s)));
        Assert.Throws<ArgumentException>(() => model.Score(0, new float[_data.Columns - 1]));
    }

    [Fact]
    public void An_unfitted_model_refuses_to_recommend_or_save()
    {
        var model = CreateModel();
        Assert.False(model.IsFitted);
        Assert.Throws<InvalidOperationException>(() => model.Recommend(0, 5));
        Assert.Throws<InvalidOperationException>(() => model.Save(new MemoryStream()));
    }

    [Fact]
    public void Recommendations_are_useful_by_the_models_own_measure()
    {
        AssertRecommendationsAreUseful(Fitted(), _data);
    }

    /// <summary>
    /// By default: users in cluster c mostly interact with items c*10 … c*10+9, so a model that learns interaction
    /// patterns recommends mostly from that block. Models that learn something else override this with their own check.
    /// </summary>
    protected virtual void AssertRecommendationsAreUseful(IRecommender model, CsrMatrix data)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(data);
        int inCluster = 0, total = 0;
        for (int u = 0; u < data.Rows; u++)
        {
            if (u == SyntheticData.EmptyUser)
            {
                continue;
            }
            int cluster = u % 4;
            foreach (var r in model.Recommend(u, 3))
            {
                total++;
                inCluster += r.Item / 10 == cluster ? 1 : 0;
            }
        }
        Assert.True(inCluster > total / 2, $"{inCluster} of {total} recommendations are in the user's cluster.");
    }
}
