using System.Text.Json;
using System.Text.Json.Serialization;

namespace Cascade.Server.Infrastructure;

/// <summary>
/// Writes a non-finite double (NaN, ±∞: e.g. a relative lift over a control of 0) as JSON null instead of failing
/// the response; reads numbers as usual. JSON has no NaN, and an answer must never be a 500 for an undefined figure.
/// </summary>
internal sealed class NonFiniteAsNull : JsonConverter<double>
{
    public override bool HandleNull => false;

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
