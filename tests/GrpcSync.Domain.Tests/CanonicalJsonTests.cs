using System.Text.Json;
using GrpcSync.Domain;

namespace GrpcSync.Domain.Tests;

public class CanonicalJsonTests
{
    [Fact]
    public void Normalize_SortsKeysAndDropsWhitespace()
    {
        Assert.Equal("""{"a":2,"b":1}""", CanonicalJson.Normalize("""{ "b" : 1,  "a":2 }"""));
    }

    [Fact]
    public void Normalize_KeyOrderAndFormatting_DoNotMatter()
    {
        const string compact = """{"region":"eu","limit":10,"enabled":true}""";
        const string pretty = """
            {
              "enabled": true,
              "limit": 10,
              "region": "eu"
            }
            """;

        Assert.Equal(CanonicalJson.Normalize(compact), CanonicalJson.Normalize(pretty));
        Assert.Equal("""{"enabled":true,"limit":10,"region":"eu"}""", CanonicalJson.Normalize(pretty));
    }

    [Fact]
    public void Normalize_SortsKeysOfNestedObjects_IncludingObjectsInsideArrays()
    {
        const string input = """{"z":{"y":[3,{"d":1,"c":2}],"x":null},"a":true}""";

        Assert.Equal("""{"a":true,"z":{"x":null,"y":[3,{"c":2,"d":1}]}}""", CanonicalJson.Normalize(input));
    }

    [Fact]
    public void Normalize_KeepsArrayOrder()
    {
        Assert.Equal("[3,1,2]", CanonicalJson.Normalize("[ 3, 1, 2 ]"));
        Assert.Equal("""{"ids":["b","a"]}""", CanonicalJson.Normalize("""{"ids":[ "b", "a" ]}"""));
    }

    [Fact]
    public void Normalize_ArraysInDifferentOrder_StayDifferent()
    {
        Assert.NotEqual(CanonicalJson.Normalize("""{"a":[1,2]}"""), CanonicalJson.Normalize("""{"a":[2,1]}"""));
    }

    [Fact]
    public void Normalize_SortsKeysOrdinally()
    {
        // Ordinal: 'B' (0x42) < '_' (0x5F) < 'a' (0x61); a culture-aware sort would differ.
        Assert.Equal("""{"B":3,"_":2,"a":1}""", CanonicalJson.Normalize("""{"a":1,"_":2,"B":3}"""));
    }

    [Fact]
    public void Normalize_KeepsWhitespaceInsideStrings()
    {
        Assert.Equal("""{"k":" v  w "}""", CanonicalJson.Normalize("""{ "k" : " v  w " }"""));
    }

    [Fact]
    public void Normalize_DifferentValues_StayDifferent()
    {
        Assert.NotEqual(CanonicalJson.Normalize("""{"a":1}"""), CanonicalJson.Normalize("""{"a":2}"""));
    }

    [Fact]
    public void Normalize_EmptyObject_StaysEmptyObject()
    {
        Assert.Equal("{}", CanonicalJson.Normalize(" { } "));
    }

    [Fact]
    public void Normalize_InvalidJson_Throws()
    {
        Assert.ThrowsAny<JsonException>(() => CanonicalJson.Normalize("{\"a\":"));
    }
}
