using System.Net;
using System.Text;

namespace Cascade.Server.Tests;

public sealed class InvalidInputTests : IAsyncLifetime
{
    private RunningServer _server = null!;

    public async Task InitializeAsync() => _server = await RunningServer.StartAsync(new()
    {
        ["Cascade:MaxBatchSize"] = "3",
        ["Cascade:MaxRequestBodyBytes"] = "65536",
    });

    public async Task DisposeAsync() => await _server.DisposeAsync();

    public static TheoryData<string, string, string, int, string> Cases => new()
    {
        // method, path, body, expected status, the field the problem must name
        { "POST", "/v1/events", """{"userId":"u","itemId":"i","type":"clik"}""", 422, "type" },
        { "POST", "/v1/events", """{"itemId":"i","type":"click"}""", 422, "userId" },
        { "POST", "/v1/events", """{"userId":"u","type":"click"}""", 422, "itemId" },
        { "POST", "/v1/events", """{"userId":"u","itemId":"i"}""", 422, "type" },
        { "POST", "/v1/events", """{"userId":"  ","itemId":"i","type":"click"}""", 422, "userId" },
        { "POST", "/v1/events", """{"userId":"u\u0001","itemId":"i","type":"click"}""", 422, "userId" },
        { "POST", "/v1/events", "{\"userId\":\"" + new string('x', 300) + "\",\"itemId\":\"i\",\"type\":\"click\"}", 422, "userId" },
        { "POST", "/v1/events", """{"userId":"u","itemId":"i","type":"rating"}""", 422, "value" },
        { "POST", "/v1/events", """{"userId":"u","itemId":"i","type":"rating","value":6}""", 422, "value" },
        { "POST", "/v1/events", """{"userId":"u","itemId":"i","type":"click","position":-1}""", 422, "position" },
        { "POST", "/v1/events", """{"userId":"u","itemId":"i","type":"click","timestamp":"2999-01-01T00:00:00Z"}""", 422, "timestamp" },
        { "POST", "/v1/events", """{"userId":"u","itemId":"i","type":"click","timestamp":"yesterday"}""", 400, "$.timestamp" },
        { "POST", "/v1/events", """{"userId":"u","itemId":"i","type":"click","extra":1}""", 400, "$.extra" },
        { "POST", "/v1/events", """{"userId":5,"itemId":"i","type":"click"}""", 400, "$.userId" },
        { "POST", "/v1/events", """{"userId":"u","itemId":"i","type":"click","value":"high"}""", 400, "$.value" },
        { "POST", "/v1/events", """{"userId":"u",""", 400, "$" },
        { "POST", "/v1/events", "", 400, "$" },
        { "POST", "/v1/events", "[]", 422, "$" },
        { "POST", "/v1/events", "42", 400, "$" },
        { "POST", "/v1/events", """[{"userId":"u","itemId":"i","type":"bad"}]""", 422, "[0].type" },
        { "POST", "/v1/events", """[{},{},{},{}]""", 413, "" },
        { "PUT", "/v1/items/x", """{"categories":["a"]}""", 422, "title" },
        { "PUT", "/v1/items/x", """{"title":"t","attributes":[1,2]}""", 422, "attributes" },
        { "PUT", "/v1/items/x", """{"title":"t","id":"y"}""", 422, "id" },
        { "PUT", "/v1/items/x", """{"title":"t","categories":[""]}""", 422, "categories[0]" },
        { "PUT", "/v1/items/x", """{"title":"t","createdAt":"2026-01-02T00:00:00Z","expiresAt":"2026-01-01T00:00:00Z"}""", 422, "expiresAt" },
        { "PUT", "/v1/items/x", """{"title":"t","hidden":"yes"}""", 400, "$.hidden" },
        { "PUT", "/v1/items/x", """[{"title":"t"}]""", 400, "$" },
        { "POST", "/v1/items", """{"id":"x","title":"t"}""", 400, "$" },
        { "POST", "/v1/items", """[{"title":"t"}]""", 422, "[0].id" },
        { "PUT", "/v1/users/u", """{"attributes":3}""", 422, "attributes" },
        { "PUT", "/v1/users/u", """{"name":"n"}""", 400, "$.name" },
        { "POST", "/v1/users", """[{"attributes":{}}]""", 422, "[0].id" },
        { "GET", "/v1/recommend/u?n=0", "", 422, "n" },
        { "GET", "/v1/recommend/u?n=1000", "", 422, "n" },
        { "GET", "/v1/recommend/u?n=ten", "", 422, "n" },
        { "GET", "/v1/users/u/events?limit=0", "", 422, "limit" },
        { "GET", "/v1/items/missing", "", 404, "" },
        { "GET", "/v1/users/missing", "", 404, "" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Invalid_input_gets_a_4xx_problem_that_names_the_field(string method, string path, string body, int status, string field)
    {
        var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (method != "GET")
        {
            request.Content = new StringContent(body, Encoding.UTF8, "application/json");
        }
        var response = await _server.Client.SendAsync(request);
        Assert.Equal(status, (int)response.StatusCode);
        if (field.Length == 0)
        {
            await Problem.ReadAsync(response);
            return;
        }
        var errors = await Problem.ErrorsAsync(response);
        Assert.Contains(errors, e => e.Field == field && e.Reason.Length > 0);
    }

    [Fact]
    public async Task A_body_over_the_limit_is_refused_with_413()
    {
        var big = "[" + string.Join(",", Enumerable.Repeat("""{"userId":"u","itemId":"i","type":"click"}""", 3000)) + "]";
        var response = await _server.PostJson("/v1/events", big);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        await Problem.ReadAsync(response);
    }

    [Fact]
    public async Task A_body_that_is_not_json_is_refused_with_415()
    {
        var response = await _server.Client.PostAsync("/v1/events", new StringContent("userId=u", Encoding.UTF8, "text/plain"));
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, response.StatusCode);
        await Problem.ReadAsync(response);
    }

    [Fact]
    public async Task Unknown_routes_and_methods_get_problem_bodies()
    {
        var notFound = await _server.Client.GetAsync("/v1/nothing");
        Assert.Equal(HttpStatusCode.NotFound, notFound.StatusCode);
        await Problem.ReadAsync(notFound);
        var notAllowed = await _server.Client.DeleteAsync("/v1/items/x");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, notAllowed.StatusCode);
        await Problem.ReadAsync(notAllowed);
    }

    [Fact]
    public async Task Deeply_nested_attributes_are_refused_without_a_server_error()
    {
        string nested = string.Concat(Enumerable.Repeat("{\"a\":", 200)) + "1" + new string('}', 200);
        var response = await _server.PutJson("/v1/items/deep", "{\"title\":\"t\",\"attributes\":" + nested + "}");
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        await Problem.ReadAsync(response);
    }

    [Fact]
    public async Task Random_garbage_bodies_never_cause_a_server_error()
    {
        var rng = new Random(7);
        for (int i = 0; i < 200; i++)
        {
            var bytes = new byte[rng.Next(1, 200)];
            rng.NextBytes(bytes);
            if (i % 2 == 0)
            {
                bytes[0] = (byte)(i % 4 == 0 ? '{' : '[');
            }
            var path = (i % 3) switch { 0 => "/v1/events", 1 => "/v1/items", _ => "/v1/items/g" + i };
            var request = new HttpRequestMessage(i % 3 == 2 ? HttpMethod.Put : HttpMethod.Post, path) { Content = new ByteArrayContent(bytes) };
            request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
            var response = await _server.Client.SendAsync(request);
            Assert.InRange((int)response.StatusCode, 400, 499);
        }
    }
}
