using System.Text.Json;
using Cascade.Core.Domain;
using Cascade.Serving.Ingestion;
using Cascade.Tooling;

namespace Cascade.Serving.Tests;

public sealed class SyntheticDataTests
{
    private static readonly SyntheticOptions Small = new() { Users = 300, Items = 500, Events = 30_000, Seed = 5 };

    [Fact]
    public void The_same_seed_gives_the_same_data_and_another_seed_different_data()
    {
        string Dump(SyntheticOptions o)
        {
            var d = new SyntheticData(o);
            return JsonSerializer.Serialize(new { items = d.Items().ToList(), users = d.Users().ToList(), events = d.Events().ToList() }, CascadeJson.Options);
        }
        Assert.Equal(Dump(Small), Dump(Small));
        Assert.NotEqual(Dump(Small), Dump(Small with { Seed = 6 }));
    }

    [Fact]
    public void It_emits_exactly_the_requested_number_of_events_all_valid_and_in_time_order()
    {
        var data = new SyntheticData(Small);
        var events = data.Events().ToList();
        Assert.Equal(Small.Events, events.Count);
        var errors = new List<FieldError>();
        foreach (var e in events)
        {
            Assert.NotNull(InputValidator.ToEvent(e, Apps.Default, Small.End, EventTypeRegistry.Default, errors));
        }
        Assert.Empty(errors);
        Assert.All(events, e => Assert.InRange(e.Timestamp!.Value, Small.End.AddDays(-Small.Days), Small.End.AddMinutes(5)));
        Assert.Equal(events.Count, events.Select(e => e.EventId).Distinct().Count());
    }

    [Fact]
    public void Popularity_follows_a_power_law_and_clicks_fall_with_position()
    {
        var events = new SyntheticData(Small).Events().ToList();
        var clicksPerItem = events.Where(e => e.Type == "click").GroupBy(e => e.ItemId).Select(g => g.Count()).OrderDescending().ToArray();
        int top = clicksPerItem.Take(clicksPerItem.Length / 10).Sum();
        Assert.True(top > clicksPerItem.Sum() * 0.3, $"the top 10% of items get {top} of {clicksPerItem.Sum()} clicks; a power law concentrates more");
        var impressionsAt = events.Where(e => e.Type == "impression").GroupBy(e => e.Position).ToDictionary(g => g.Key!.Value, g => g.Count());
        var clicksAt = events.Where(e => e.Type == "click").GroupBy(e => e.Position).ToDictionary(g => g.Key!.Value, g => g.Count());
        double Ctr(int p) => (double)clicksAt[p] / impressionsAt[p];
        Assert.True(Ctr(0) > Ctr(9) * 1.5, $"CTR at position 0 ({Ctr(0):0.000}) should clearly exceed position 9 ({Ctr(9):0.000})");
    }

    [Fact]
    public void Users_click_mostly_within_their_taste_cluster()
    {
        var data = new SyntheticData(Small);
        var clicks = data.Events().Where(e => e.Type == "click").ToList();
        int inCluster = clicks.Count(e => data.UserCluster(int.Parse(e.UserId![1..])) == data.ItemCluster(int.Parse(e.ItemId![1..])));
        Assert.True(inCluster > clicks.Count * 0.7, $"{inCluster} of {clicks.Count} clicks are within the user's cluster");
    }

    [Fact]
    public void Invalid_sizes_are_refused_with_the_option_name()
    {
        var ex = Assert.Throws<ArgumentOutOfRangeException>(() => new SyntheticData(new SyntheticOptions { Items = 2 }));
        Assert.Contains("--items", ex.Message, StringComparison.Ordinal);
    }
}
