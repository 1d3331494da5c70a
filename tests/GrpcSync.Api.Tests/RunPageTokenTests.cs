using System.Text;
using GrpcSync.Server.Api;
using GrpcSync.Storage;

namespace GrpcSync.Api.Tests;

/// <summary>The ListSyncRuns page token on its own. Expected tokens were computed with Python's base64 module.</summary>
public sealed class RunPageTokenTests
{
    private static readonly RunPosition Position = new(
        DateTimeOffset.FromUnixTimeMilliseconds(1_735_787_045_000), new Guid("01942628-e3d4-7000-8000-000000000001"));

    [Theory]
    [InlineData(7L, "NzoxNzM1Nzg3MDQ1MDAwOjAxOTQyNjI4ZTNkNDcwMDA4MDAwMDAwMDAwMDAwMDAx")] // "7:1735787045000:01942628e3d4…01"
    [InlineData(17L, "MTc6MTczNTc4NzA0NTAwMDowMTk0MjYyOGUzZDQ3MDAwODAwMDAwMDAwMDAwMDAwMQ")] // "17:…", padding left out
    public void Encode_IsBase64UrlOfIncarnationCreatedAtMsAndRunId(long incarnation, string token)
    {
        Assert.Equal(token, RunPageToken.Encode(incarnation, Position));
        Assert.True(RunPageToken.TryDecode(token, out var decodedIncarnation, out var decodedPosition));
        Assert.Equal((incarnation, Position), (decodedIncarnation, decodedPosition));
    }

    [Theory]
    [InlineData(0L, 0L)]
    [InlineData(long.MaxValue, 253_402_300_799_999L)] // the last millisecond DateTimeOffset holds
    [InlineData(1_735_787_045_000L, 1L)]
    public void TryDecode_OfEncode_RoundTrips(long incarnation, long createdAtMs)
    {
        var position = new RunPosition(DateTimeOffset.FromUnixTimeMilliseconds(createdAtMs), Guid.NewGuid());

        Assert.True(RunPageToken.TryDecode(RunPageToken.Encode(incarnation, position), out var decodedIncarnation, out var decodedPosition));
        Assert.Equal((incarnation, position), (decodedIncarnation, decodedPosition));
    }

    [Fact]
    public void Encode_OfTheSamePositionInAnotherIncarnation_IsAnotherToken()
    {
        var other = RunPageToken.Encode(8, Position);

        Assert.NotEqual(RunPageToken.Encode(7, Position), other);
        Assert.True(RunPageToken.TryDecode(other, out var incarnation, out _));
        Assert.Equal(8, incarnation);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("!!!")]
    [InlineData("MTc6MTczNTc4NzA0NTAwMDowMTk0MjYyOGUzZDQ3MDAwODAwMDAwMDAwMDAwMDAwMQ==")] // padded
    [InlineData("MTc6MTczNTc4NzA0NTAwMDowMTk0MjYyOGUzZDQ3MDAwODAwMDAwMDAwMDAwMDAwMR")] // non-canonical trailing bits
    [InlineData(" NzoxNzM1Nzg3MDQ1MDAwOjAxOTQyNjI4ZTNkNDcwMDA4MDAwMDAwMDAwMDAwMDAx")]
    [InlineData("MTczNTc4NzA0NTAwMDowMTk0MjYyOGUzZDQ3MDAwODAwMDAwMDAwMDAwMDAwMQ")] // "createdAtMs:runId", the format before incarnations
    public void TryDecode_OfAnythingButACanonicalToken_IsFalse(string? token)
    {
        Assert.False(RunPageToken.TryDecode(token, out var incarnation, out var position));
        Assert.Equal((0L, default(RunPosition)), (incarnation, position));
    }

    [Theory]
    [InlineData("7:1735787045000:01942628E3D470008000000000000001")] // upper-case hex
    [InlineData("07:1735787045000:01942628e3d470008000000000000001")]
    [InlineData("7:01735787045000:01942628e3d470008000000000000001")]
    [InlineData("-7:1735787045000:01942628e3d470008000000000000001")]
    [InlineData("7:+1735787045000:01942628e3d470008000000000000001")]
    [InlineData("7:1735787045000:01942628-e3d4-7000-8000-000000000001")] // another GUID format
    [InlineData("7:1735787045000")]
    [InlineData("7:1735787045000:01942628e3d470008000000000000001:1")]
    [InlineData("7:253402300800000:01942628e3d470008000000000000001")] // past DateTimeOffset.MaxValue
    [InlineData("99999999999999999999:1735787045000:01942628e3d470008000000000000001")]
    public void TryDecode_OfOtherTextInBase64Url_IsFalse(string text)
    {
        var token = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

        Assert.False(RunPageToken.TryDecode(token, out _, out _));
    }

    [Fact]
    public void Encode_NegativeIncarnation_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RunPageToken.Encode(-1, Position));
    }
}
