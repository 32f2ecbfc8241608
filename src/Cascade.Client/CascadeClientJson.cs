using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cascade.Client;

/// <summary>The client's JSON: the API's camelCase, nulls left out; answers may grow fields the client ignores.</summary>
internal static class CascadeClientJson
{
    public static JsonSerializerOptions Options { get; } = new(JsonSerializerDefaults.Web)
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };
}
