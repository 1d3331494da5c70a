using System.Text;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>A decoding failure of a header block (the answer cannot be read, which the storm reports).</summary>
public sealed class HpackException(string message) : Exception(message);

/// <summary>
/// Just enough HPACK (RFC 7541) for the raw HTTP/2 client. Requests are encoded as literals without indexing
/// and without Huffman, so any byte the storm wants goes out as it is. Responses are decoded with the static
/// table, the dynamic table and Huffman-coded strings (<see cref="HpackHuffman"/>).
/// </summary>
public static class Hpack
{
    private static readonly (string Name, string Value)[] StaticTable =
    [
        (":authority", ""), (":method", "GET"), (":method", "POST"), (":path", "/"), (":path", "/index.html"), (":scheme", "http"),
        (":scheme", "https"), (":status", "200"), (":status", "204"), (":status", "206"), (":status", "304"), (":status", "400"),
        (":status", "404"), (":status", "500"), ("accept-charset", ""), ("accept-encoding", "gzip, deflate"), ("accept-language", ""),
        ("accept-ranges", ""), ("accept", ""), ("access-control-allow-origin", ""), ("age", ""), ("allow", ""), ("authorization", ""),
        ("cache-control", ""), ("content-disposition", ""), ("content-encoding", ""), ("content-language", ""), ("content-length", ""),
        ("content-location", ""), ("content-range", ""), ("content-type", ""), ("cookie", ""), ("date", ""), ("etag", ""), ("expect", ""),
        ("expires", ""), ("from", ""), ("host", ""), ("if-match", ""), ("if-modified-since", ""), ("if-none-match", ""), ("if-range", ""),
        ("if-unmodified-since", ""), ("last-modified", ""), ("link", ""), ("location", ""), ("max-forwards", ""), ("proxy-authenticate", ""),
        ("proxy-authorization", ""), ("range", ""), ("referer", ""), ("refresh", ""), ("retry-after", ""), ("server", ""), ("set-cookie", ""),
        ("strict-transport-security", ""), ("transfer-encoding", ""), ("user-agent", ""), ("vary", ""), ("via", ""), ("www-authenticate", ""),
    ];

    /// <summary>Header fields as literals without indexing, new name, raw octets (names and values are Latin-1 bytes).</summary>
    public static byte[] Encode(IEnumerable<(string Name, string Value)> headers)
    {
        var output = new List<byte>();
        foreach (var (name, value) in headers)
        {
            output.Add(0x00);
            WriteString(output, Encoding.Latin1.GetBytes(name));
            WriteString(output, Encoding.Latin1.GetBytes(value));
        }
        return [.. output];
    }

    private static void WriteString(List<byte> output, byte[] bytes)
    {
        WriteInteger(output, bytes.Length, 7, 0x00);
        output.AddRange(bytes);
    }

    private static void WriteInteger(List<byte> output, int value, int prefixBits, byte firstByteFlags)
    {
        var max = (1 << prefixBits) - 1;
        if (value < max)
        {
            output.Add((byte)(firstByteFlags | value));
            return;
        }
        output.Add((byte)(firstByteFlags | max));
        value -= max;
        while (value >= 128)
        {
            output.Add((byte)((value & 0x7F) | 0x80));
            value >>= 7;
        }
        output.Add((byte)value);
    }

    /// <summary>The decoding side of one connection (its dynamic table lives as long as the connection).</summary>
    public sealed class Decoder
    {
        private readonly LinkedList<(string Name, string Value)> _dynamic = new();
        private int _size;
        private int _maxSize = 4096;

        public List<(string Name, string Value)> Decode(byte[] block)
        {
            var headers = new List<(string, string)>();
            var position = 0;
            while (position < block.Length)
            {
                var first = block[position];
                if ((first & 0x80) != 0)
                {
                    headers.Add(Entry(ReadInteger(block, ref position, 7)));
                }
                else if ((first & 0xC0) == 0x40)
                {
                    var field = ReadLiteral(block, ref position, 6);
                    headers.Add(field);
                    Add(field);
                }
                else if ((first & 0xE0) == 0x20)
                {
                    _maxSize = ReadInteger(block, ref position, 5);
                    Evict();
                }
                else
                {
                    headers.Add(ReadLiteral(block, ref position, 4)); // without indexing / never indexed
                }
            }
            return headers;
        }

        private (string Name, string Value) ReadLiteral(byte[] block, ref int position, int prefixBits)
        {
            var index = ReadInteger(block, ref position, prefixBits);
            var name = index == 0 ? ReadString(block, ref position) : Entry(index).Name;
            return (name, ReadString(block, ref position));
        }

        private (string Name, string Value) Entry(int index)
        {
            if (index >= 1 && index <= StaticTable.Length)
            {
                return StaticTable[index - 1];
            }
            var dynamicIndex = index - StaticTable.Length - 1;
            if (dynamicIndex < 0 || dynamicIndex >= _dynamic.Count)
            {
                throw new HpackException($"header table index {index} is out of range");
            }
            return _dynamic.ElementAt(dynamicIndex);
        }

        private void Add((string Name, string Value) field)
        {
            _dynamic.AddFirst(field);
            _size += Size(field);
            Evict();
        }

        private void Evict()
        {
            while (_size > _maxSize && _dynamic.Count > 0)
            {
                _size -= Size(_dynamic.Last!.Value);
                _dynamic.RemoveLast();
            }
        }

        private static int Size((string Name, string Value) field) => Encoding.Latin1.GetByteCount(field.Name) + Encoding.Latin1.GetByteCount(field.Value) + 32;

        private static string ReadString(byte[] block, ref int position)
        {
            if (position >= block.Length)
            {
                throw new HpackException("header block ends inside a string");
            }
            var huffman = (block[position] & 0x80) != 0;
            var length = ReadInteger(block, ref position, 7);
            if (position + length > block.Length)
            {
                throw new HpackException("string length runs past the header block");
            }
            var bytes = block.AsSpan(position, length);
            position += length;
            return huffman ? HpackHuffman.Decode(bytes) : Encoding.Latin1.GetString(bytes);
        }

        private static int ReadInteger(byte[] block, ref int position, int prefixBits)
        {
            var max = (1 << prefixBits) - 1;
            var value = block[position++] & max;
            if (value < max)
            {
                return value;
            }
            var shift = 0;
            while (true)
            {
                if (position >= block.Length || shift > 28)
                {
                    throw new HpackException("truncated or oversized integer");
                }
                var b = block[position++];
                value += (b & 0x7F) << shift;
                shift += 7;
                if ((b & 0x80) == 0)
                {
                    return value;
                }
            }
        }
    }
}
