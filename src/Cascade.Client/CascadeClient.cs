using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Cascade.Client;

/// <summary>
/// A typed client for the Cascade HTTP API (docs/api.md): ingestion of events, items and users, recommendations and
/// their explanation trails, ranking, health and administration. Register it with
/// <see cref="CascadeClientServiceCollectionExtensions.AddCascadeClient"/>, which sets the base address, the API key
/// and the retry policy; every refusal is a <see cref="CascadeApiException"/> naming the status and the fields.
/// </summary>
public sealed class CascadeClient
{
    private readonly HttpClient _http;

    /// <summary>Creates a client over <paramref name="httpClient"/>, whose <see cref="HttpClient.BaseAddress"/> is the server's URL.</summary>
    /// <param name="httpClient">The HTTP client (from IHttpClientFactory when registered with AddCascadeClient).</param>
    public CascadeClient(HttpClient httpClient)
    {
        ArgumentNullException.ThrowIfNull(httpClient);
        _http = httpClient;
    }

    // ---- Events ----

    /// <summary>Sends one event (<c>POST /v1/events</c>). Retried on transient failures only when it carries an <see cref="CascadeEvent.EventId"/>.</summary>
    /// <returns>Stored, or duplicate of an earlier event with the same id, with the log sequence.</returns>
    public Task<EventAck> IngestEventAsync(CascadeEvent cascadeEvent, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(cascadeEvent);
        return SendAsync<EventAck>(HttpMethod.Post, "v1/events", cascadeEvent, retryable: cascadeEvent.EventId is not null, cancellationToken);
    }

    /// <summary>Sends events in one batch (<c>POST /v1/events</c>). Retried on transient failures only when every event carries an event id.</summary>
    /// <returns>Counts and one result per event; invalid events are listed there, the others are stored.</returns>
    public Task<BatchResponse> IngestEventsAsync(IReadOnlyList<CascadeEvent> events, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(events);
        bool allIdentified = events.Count > 0 && events.All(e => e?.EventId is not null);
        return SendAsync<BatchResponse>(HttpMethod.Post, "v1/events", events, retryable: allIdentified, cancellationToken);
    }

    /// <summary>The user's events, newest first (<c>GET /v1/users/{id}/events</c>; impressions are not listed).</summary>
    /// <param name="userId">The user.</param>
    /// <param name="limit">At most this many (1–1000).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<IReadOnlyList<EventView>> GetUserEventsAsync(string userId, int limit = 100, CancellationToken cancellationToken = default) =>
        SendAsync<IReadOnlyList<EventView>>(HttpMethod.Get, $"v1/users/{Segment(userId)}/events?limit={limit}", null, retryable: true, cancellationToken);

    // ---- Items ----

    /// <summary>Creates or replaces an item (<c>PUT /v1/items/{id}</c>); answers once durable and visible to reads.</summary>
    public Task<ItemView> UpsertItemAsync(string id, CascadeItem item, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(item);
        return SendAsync<ItemView>(HttpMethod.Put, $"v1/items/{Segment(id)}", item with { Id = null }, retryable: false, cancellationToken);
    }

    /// <summary>Creates or replaces items, each with its <see cref="CascadeItem.Id"/> (<c>POST /v1/items</c>).</summary>
    public Task<BatchResponse> UpsertItemsAsync(IReadOnlyList<CascadeItem> items, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(items);
        return SendAsync<BatchResponse>(HttpMethod.Post, "v1/items", items, retryable: false, cancellationToken);
    }

    /// <summary>The item, or null when the server knows none by that id (<c>GET /v1/items/{id}</c>).</summary>
    public Task<ItemView?> GetItemAsync(string id, CancellationToken cancellationToken = default) =>
        SendOrNullAsync<ItemView>($"v1/items/{Segment(id)}", cancellationToken);

    /// <summary>Hides an item: never recommended until replaced with <c>Hidden = false</c> (<c>POST /v1/items/{id}/hide</c>).</summary>
    public Task<ItemView> HideItemAsync(string id, CancellationToken cancellationToken = default) =>
        SendAsync<ItemView>(HttpMethod.Post, $"v1/items/{Segment(id)}/hide", null, retryable: false, cancellationToken);

    // ---- Users ----

    /// <summary>Creates or replaces a user (<c>PUT /v1/users/{id}</c>).</summary>
    public Task<UserView> UpsertUserAsync(string id, CascadeUser user, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(user);
        return SendAsync<UserView>(HttpMethod.Put, $"v1/users/{Segment(id)}", user with { Id = null }, retryable: false, cancellationToken);
    }

    /// <summary>Creates or replaces users, each with its <see cref="CascadeUser.Id"/> (<c>POST /v1/users</c>).</summary>
    public Task<BatchResponse> UpsertUsersAsync(IReadOnlyList<CascadeUser> users, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(users);
        return SendAsync<BatchResponse>(HttpMethod.Post, "v1/users", users, retryable: false, cancellationToken);
    }

    /// <summary>The user, or null when the server knows none by that id (<c>GET /v1/users/{id}</c>).</summary>
    public Task<UserView?> GetUserAsync(string id, CancellationToken cancellationToken = default) =>
        SendOrNullAsync<UserView>($"v1/users/{Segment(id)}", cancellationToken);

    // ---- Recommendations ----

    /// <summary>Recommendations for a user (<c>GET /v1/recommend/{userId}</c>).</summary>
    /// <param name="userId">The user.</param>
    /// <param name="options">Page size, cursor, category, explanation, variant; the server's defaults when null.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    public Task<RecommendResponse> RecommendAsync(string userId, RecommendOptions? options = null, CancellationToken cancellationToken = default)
    {
        var query = new List<string>();
        if (options is not null)
        {
            if (options.N is { } n)
            {
                query.Add($"n={n}");
            }
            AddText(query, "cursor", options.Cursor);
            AddText(query, "category", options.Category);
            if (options.Explain)
            {
                query.Add("explain=true");
            }
            AddText(query, "variant", options.Variant);
        }
        string path = $"v1/recommend/{Segment(userId)}" + (query.Count > 0 ? "?" + string.Join('&', query) : "");
        return SendAsync<RecommendResponse>(HttpMethod.Get, path, null, retryable: true, cancellationToken);
    }

    /// <summary>
    /// Recommendations with their explanation: each item's <see cref="Recommendation.Trail"/> through every stage
    /// (source ranks and scores, the ranker's score, what each re-ranker did) and the stage timings.
    /// </summary>
    public Task<RecommendResponse> ExplainAsync(string userId, int n = 10, CancellationToken cancellationToken = default) =>
        RecommendAsync(userId, new RecommendOptions { N = n, Explain = true }, cancellationToken);

    /// <summary>Recommendations for an anonymous session or a user plus recent items (<c>POST /v1/recommend</c>).</summary>
    public Task<RecommendResponse> RecommendSessionAsync(SessionRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<RecommendResponse>(HttpMethod.Post, "v1/recommend", request, retryable: false, cancellationToken);
    }

    /// <summary>Items similar to an item (<c>GET /v1/similar/{itemId}</c>).</summary>
    public Task<ListingResponse> SimilarAsync(string itemId, int n = 10, CancellationToken cancellationToken = default) =>
        SendAsync<ListingResponse>(HttpMethod.Get, $"v1/similar/{Segment(itemId)}?n={n}", null, retryable: true, cancellationToken);

    /// <summary>Trending items (<c>GET /v1/popular</c>).</summary>
    public Task<ListingResponse> PopularAsync(int n = 10, string? category = null, CancellationToken cancellationToken = default) =>
        SendAsync<ListingResponse>(HttpMethod.Get, Listing("v1/popular", n, category), null, retryable: true, cancellationToken);

    /// <summary>The newest items (<c>GET /v1/latest</c>).</summary>
    public Task<ListingResponse> LatestAsync(int n = 10, string? category = null, CancellationToken cancellationToken = default) =>
        SendAsync<ListingResponse>(HttpMethod.Get, Listing("v1/latest", n, category), null, retryable: true, cancellationToken);

    /// <summary>Ranks a given list of candidates by pCTR (× bid) (<c>POST /v1/rank</c>).</summary>
    public Task<RankResponse> RankAsync(RankRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendAsync<RankResponse>(HttpMethod.Post, "v1/rank", request, retryable: false, cancellationToken);
    }

    // ---- Health and administration ----

    /// <summary>Whether the process answers (<c>GET /health/live</c>); false when it answers with an error.</summary>
    public async Task<bool> IsLiveAsync(CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Get, "health/live", null, retryable: false);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        return response.IsSuccessStatusCode;
    }

    /// <summary>
    /// The readiness probe (<c>GET /health/ready</c>): ready (200) or not (503, with the reason in
    /// <see cref="Readiness.Status"/>). Not retried: a probe reports the state now.
    /// </summary>
    public async Task<Readiness> GetReadinessAsync(CancellationToken cancellationToken = default)
    {
        using var request = Request(HttpMethod.Get, "health/ready", null, retryable: false);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode is not (HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable))
        {
            throw await ProblemReader.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        }
        var readiness = await ReadBodyAsync<Readiness>(response, cancellationToken).ConfigureAwait(false);
        return readiness with { IsReady = response.StatusCode == HttpStatusCode.OK };
    }

    /// <summary>Retrains the pipeline bundle now and swaps it in (<c>POST /v1/admin/train</c>, admin scope); 409 when the new bundle is refused.</summary>
    public Task<TrainingSummary> TrainAsync(CancellationToken cancellationToken = default) =>
        SendAsync<TrainingSummary>(HttpMethod.Post, "v1/admin/train", null, retryable: false, cancellationToken);

    /// <summary>Per-stage latency, the bundle version and the process's figures (<c>GET /v1/admin/stats</c>, admin scope).</summary>
    public Task<StatsResponse> GetStatsAsync(CancellationToken cancellationToken = default) =>
        SendAsync<StatsResponse>(HttpMethod.Get, "v1/admin/stats", null, retryable: true, cancellationToken);

    // ---- Plumbing ----

    private async Task<T> SendAsync<T>(HttpMethod method, string path, object? body, bool retryable, CancellationToken cancellationToken)
    {
        using var request = Request(method, path, body, retryable);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw await ProblemReader.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        }
        return await ReadBodyAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private async Task<T?> SendOrNullAsync<T>(string path, CancellationToken cancellationToken)
        where T : class
    {
        using var request = Request(HttpMethod.Get, path, null, retryable: true);
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        if (response.StatusCode == HttpStatusCode.NotFound)
        {
            return null;
        }
        if (!response.IsSuccessStatusCode)
        {
            throw await ProblemReader.ReadAsync(response, cancellationToken).ConfigureAwait(false);
        }
        return await ReadBodyAsync<T>(response, cancellationToken).ConfigureAwait(false);
    }

    private static HttpRequestMessage Request(HttpMethod method, string path, object? body, bool retryable)
    {
        var request = new HttpRequestMessage(method, new Uri(path, UriKind.Relative));
        if (body is not null)
        {
            // Bytes, not a stream: a retried attempt sends the same content again.
            request.Content = new ByteArrayContent(JsonSerializer.SerializeToUtf8Bytes(body, body.GetType(), CascadeClientJson.Options));
            request.Content.Headers.ContentType = new("application/json") { CharSet = "utf-8" };
        }
        CascadeRetryPolicy.MarkRetryable(request, retryable);
        return request;
    }

    private static async Task<T> ReadBodyAsync<T>(HttpResponseMessage response, CancellationToken cancellationToken) =>
        await response.Content.ReadFromJsonAsync<T>(CascadeClientJson.Options, cancellationToken).ConfigureAwait(false)
            ?? throw new CascadeApiException(response.StatusCode, null, "Empty answer", $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri} answered {(int)response.StatusCode} with an empty or null body.", []);

    private static string Segment(string id)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        return Uri.EscapeDataString(id);
    }

    private static void AddText(List<string> query, string name, string? value)
    {
        if (value is not null)
        {
            query.Add($"{name}={Uri.EscapeDataString(value)}");
        }
    }

    private static string Listing(string path, int n, string? category) =>
        category is null ? $"{path}?n={n}" : $"{path}?n={n}&category={Uri.EscapeDataString(category)}";
}
