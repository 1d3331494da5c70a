namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>
/// Huffman-coded HPACK strings. Kestrel writes its response headers as raw literals (its HPACK encoder has no
/// Huffman coding), so the raw HTTP/2 client never needs to decode one; should that change, decoding fails
/// loudly and the storm reports the answer as undecodable instead of guessing at its status.
/// </summary>
public static class HpackHuffman
{
    public static string Decode(ReadOnlySpan<byte> coded) =>
        throw new HpackException($"a Huffman-coded string ({coded.Length} bytes), which this client does not decode");
}
