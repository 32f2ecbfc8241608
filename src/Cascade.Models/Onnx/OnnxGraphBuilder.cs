using System.Runtime.InteropServices;

namespace Cascade.Models.Onnx;

/// <summary>Element types of ONNX tensors (the values of <c>TensorProto.DataType</c>) that Cascade writes.</summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Naming", "CA1720:Identifier contains type name", Justification = "ONNX's own names of its element types.")]
public enum OnnxElementType
{
    /// <summary>32-bit float.</summary>
    Float = 1,

    /// <summary>64-bit signed integer.</summary>
    Int64 = 7,

    /// <summary>Boolean.</summary>
    Bool = 9,
}

/// <summary>
/// Builds one ONNX model (a single graph of standard-domain operators, opset 13) and writes it as the ONNX protobuf,
/// with no dependency: just enough of <c>onnx.proto</c> for inference graphs of dense layers, embeddings and
/// element-wise maths. Names are chosen by the caller and must be unique; the builder does not check the graph
/// (ONNX Runtime does when it loads the bytes).
/// </summary>
/// <remarks>
/// Messages and field numbers written (onnx.proto, IR version 8):
/// <code>
/// ModelProto        1 ir_version (varint)  2 producer_name  3 producer_version  7 graph  8 opset_import  14 metadata_props
/// OperatorSetId     1 domain  2 version (varint)
/// StringStringEntry 1 key  2 value
/// GraphProto        1 node  2 name  5 initializer  11 input  12 output
/// NodeProto         1 input  2 output  3 name  4 op_type  5 attribute
/// AttributeProto    1 name  3 i (varint)  8 ints (varint, one per entry)  20 type (INT = 2, INTS = 7)
/// TensorProto       1 dims (varint, one per entry)  2 data_type  8 name  9 raw_data (little-endian)
/// ValueInfoProto    1 name  2 type → TypeProto 1 tensor_type → 1 elem_type, 2 shape → 1 dim → 1 dim_value | 2 dim_param
/// </code>
/// A dimension of −1 is written as the symbolic dimension "N" (the batch).
/// </remarks>
public sealed class OnnxGraphBuilder
{
    /// <summary>The ONNX IR version written.</summary>
    public const long IrVersion = 8;

    /// <summary>The default-domain opset the graph's operators follow.</summary>
    public const long Opset = 13;

    private readonly string _name;
    private readonly ProtoWriter _nodes = new();
    private readonly ProtoWriter _initializers = new();
    private readonly ProtoWriter _inputs = new();
    private readonly ProtoWriter _outputs = new();
    private readonly List<(string Key, string Value)> _metadata = [];
    private int _nodeCount;

    /// <summary>Starts an empty graph.</summary>
    /// <param name="name">The graph's name.</param>
    public OnnxGraphBuilder(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        _name = name;
    }

    /// <summary>Declares a graph input.</summary>
    /// <param name="name">Input name.</param>
    /// <param name="type">Element type.</param>
    /// <param name="dims">Shape; −1 is the batch dimension "N".</param>
    /// <returns><paramref name="name"/>.</returns>
    public string Input(string name, OnnxElementType type, params long[] dims)
    {
        _inputs.Message(11, ValueInfo(name, type, dims));
        return name;
    }

    /// <summary>Declares a graph output (the value must be produced by a node or be an initializer).</summary>
    /// <param name="name">Output name.</param>
    /// <param name="type">Element type.</param>
    /// <param name="dims">Shape; −1 is the batch dimension "N".</param>
    public void Output(string name, OnnxElementType type, params long[] dims) => _outputs.Message(12, ValueInfo(name, type, dims));

    /// <summary>Adds a float constant.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="values">Values in row-major order.</param>
    /// <param name="dims">Shape (the product must equal the value count).</param>
    /// <returns><paramref name="name"/>.</returns>
    public string Initializer(string name, ReadOnlySpan<float> values, params long[] dims) => Initializer(name, OnnxElementType.Float, values, dims);

    /// <summary>Adds an int64 constant.</summary>
    /// <param name="name">Its name.</param>
    /// <param name="values">Values in row-major order.</param>
    /// <param name="dims">Shape (the product must equal the value count).</param>
    /// <returns><paramref name="name"/>.</returns>
    public string Initializer(string name, ReadOnlySpan<long> values, params long[] dims) => Initializer(name, OnnxElementType.Int64, values, dims);

    /// <summary>Adds a node of the default domain.</summary>
    /// <param name="opType">Operator, e.g. "MatMul".</param>
    /// <param name="inputs">Input value names.</param>
    /// <param name="output">The output value's name.</param>
    /// <param name="intAttributes">Integer attributes (name, value).</param>
    /// <param name="intsAttributes">Integer-list attributes (name, values).</param>
    /// <returns><paramref name="output"/>.</returns>
    public string Node(string opType, string[] inputs, string output, (string Name, long Value)[]? intAttributes = null, (string Name, long[] Values)[]? intsAttributes = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(opType);
        ArgumentNullException.ThrowIfNull(inputs);
        var node = new ProtoWriter();
        foreach (string input in inputs)
        {
            node.String(1, input);
        }
        node.String(2, output);
        node.String(3, $"{opType}_{_nodeCount++}");
        node.String(4, opType);
        foreach (var (name, value) in intAttributes ?? [])
        {
            var attribute = new ProtoWriter();
            attribute.String(1, name);
            attribute.Varint(3, (ulong)value);
            attribute.Varint(20, 2);
            node.Message(5, attribute);
        }
        foreach (var (name, values) in intsAttributes ?? [])
        {
            var attribute = new ProtoWriter();
            attribute.String(1, name);
            foreach (long v in values)
            {
                attribute.Varint(8, (ulong)v);
            }
            attribute.Varint(20, 7);
            node.Message(5, attribute);
        }
        _nodes.Message(1, node);
        return output;
    }

    /// <summary>Adds a key–value pair to the model's metadata (read back by ONNX Runtime as custom metadata).</summary>
    /// <param name="key">Key.</param>
    /// <param name="value">Value.</param>
    public void Metadata(string key, string value) => _metadata.Add((key, value));

    /// <summary>The model as ONNX protobuf bytes.</summary>
    /// <param name="producer">Producer name written in the model.</param>
    public byte[] ToBytes(string producer = "cascade")
    {
        var graph = new ProtoWriter();
        graph.Append(_nodes);
        graph.String(2, _name);
        graph.Append(_initializers);
        graph.Append(_inputs);
        graph.Append(_outputs);

        var model = new ProtoWriter();
        model.Varint(1, IrVersion);
        model.String(2, producer);
        model.String(3, typeof(OnnxGraphBuilder).Assembly.GetName().Version?.ToString() ?? "0");
        model.Message(7, graph);
        var opset = new ProtoWriter();
        opset.String(1, "");
        opset.Varint(2, Opset);
        model.Message(8, opset);
        foreach (var (key, value) in _metadata)
        {
            var entry = new ProtoWriter();
            entry.String(1, key);
            entry.String(2, value);
            model.Message(14, entry);
        }
        return model.ToArray();
    }

    /// <summary>Writes the model to <paramref name="stream"/>.</summary>
    /// <param name="stream">Destination.</param>
    /// <param name="producer">Producer name written in the model.</param>
    public void WriteTo(Stream stream, string producer = "cascade")
    {
        ArgumentNullException.ThrowIfNull(stream);
        stream.Write(ToBytes(producer));
    }

    private string Initializer<T>(string name, OnnxElementType type, ReadOnlySpan<T> values, long[] dims)
        where T : unmanaged
    {
        CheckCount(name, values.Length, dims);
        if (!BitConverter.IsLittleEndian)
        {
            throw new PlatformNotSupportedException("ONNX raw tensor data is little-endian; this writer runs on little-endian machines only.");
        }
        _initializers.Message(5, Tensor(name, type, dims, MemoryMarshal.AsBytes(values)));
        return name;
    }

    private static void CheckCount(string name, int count, long[] dims)
    {
        long product = 1;
        foreach (long d in dims)
        {
            product *= d;
        }
        if (product != count)
        {
            throw new ArgumentException($"Initializer '{name}' has {count} values for shape [{string.Join(", ", dims)}].", nameof(dims));
        }
    }

    private static ProtoWriter Tensor(string name, OnnxElementType type, long[] dims, ReadOnlySpan<byte> raw)
    {
        var tensor = new ProtoWriter();
        foreach (long d in dims)
        {
            tensor.Varint(1, (ulong)d);
        }
        tensor.Varint(2, (ulong)type);
        tensor.String(8, name);
        tensor.Bytes(9, raw);
        return tensor;
    }

    private static ProtoWriter ValueInfo(string name, OnnxElementType type, long[] dims)
    {
        var shape = new ProtoWriter();
        foreach (long d in dims)
        {
            var dim = new ProtoWriter();
            if (d < 0)
            {
                dim.String(2, "N");
            }
            else
            {
                dim.Varint(1, (ulong)d);
            }
            shape.Message(1, dim);
        }
        var tensorType = new ProtoWriter();
        tensorType.Varint(1, (ulong)type);
        tensorType.Message(2, shape);
        var typeProto = new ProtoWriter();
        typeProto.Message(1, tensorType);
        var info = new ProtoWriter();
        info.String(1, name);
        info.Message(2, typeProto);
        return info;
    }

    /// <summary>The protobuf wire format: varints (wire type 0) and length-delimited fields (wire type 2).</summary>
    private sealed class ProtoWriter
    {
        private readonly List<byte> _bytes = [];

        public void Varint(int field, long value) => Varint(field, (ulong)value);

        public void Varint(int field, ulong value)
        {
            Raw((ulong)field << 3);
            Raw(value);
        }

        public void String(int field, string value) => Bytes(field, System.Text.Encoding.UTF8.GetBytes(value));

        public void Bytes(int field, ReadOnlySpan<byte> value)
        {
            Raw(((ulong)field << 3) | 2);
            Raw((ulong)value.Length);
            foreach (byte b in value)
            {
                _bytes.Add(b);
            }
        }

        public void Message(int field, ProtoWriter message) => Bytes(field, CollectionsMarshal.AsSpan(message._bytes));

        public void Append(ProtoWriter other) => _bytes.AddRange(other._bytes);

        public byte[] ToArray() => [.. _bytes];

        private void Raw(ulong value)
        {
            while (value >= 0x80)
            {
                _bytes.Add((byte)(value | 0x80));
                value >>= 7;
            }
            _bytes.Add((byte)value);
        }
    }
}
