using System.Text;
using GrpcSync.Server.Api;
using GrpcSync.Storage;

namespace GrpcSync.Api.Tests;

/// <summary>The ListWebhookDeliveries page token on its own. The expected token was computed with Python's base64 module.</summary>
public sealed class DeliveryPageTokenTests
{
    private static readonly Guid Webhook = new("01942628-e3d4-7000-8000-000000000009");

    private static readonly DeliveryPosition Position = new(
        DateTimeOffset.FromUnixTimeMilliseconds(1_735_787_045_000), new Guid("01942628-e3d4-7000-8000-000000000001"));

    [Fact]
    public void Encode_IsBase64UrlOfPrefixWebhookIdCreatedAtMsAndDeliveryId()
    {
        const string token = "ZDE6MDE5NDI2MjhlM2Q0NzAwMDgwMDAwMDAwMDAwMDAwMDk6MTczNTc4NzA0NTAwMDowMTk0MjYyOGUzZDQ3MDAwODAwMDAwMDAwMDAwMDAwMQ";

        Assert.Equal(token, DeliveryPageToken.Encode(Webhook, Position));
        Assert.True(DeliveryPageToken.TryDecode(token, Webhook, out var decoded));
        Assert.Equal(Position, decoded);
    }

    [Theory]
    [InlineData(0L)]
    [InlineData(253_402_300_799_999L)] // the last millisecond DateTimeOffset holds
    public void TryDecode_OfEncode_RoundTrips(long createdAtMs)
    {
        var position = new DeliveryPosition(DateTimeOffset.FromUnixTimeMilliseconds(createdAtMs), Guid.NewGuid());

        Assert.True(DeliveryPageToken.TryDecode(DeliveryPageToken.Encode(Webhook, position), Webhook, out var decoded));
        Assert.Equal(position, decoded);
    }

    [Fact]
    public void TryDecode_OfAnotherWebhooksToken_IsFalse()
    {
        Assert.False(DeliveryPageToken.TryDecode(DeliveryPageToken.Encode(Guid.NewGuid(), Position), Webhook, out var decoded));
        Assert.Null(decoded);
    }

    [Theory]
    [InlineData("d1:01942628E3D470008000000000000009:1735787045000:01942628e3d470008000000000000001")] // upper-case webhook id
    [InlineData("d1:01942628e3d470008000000000000009:1735787045000:01942628E3D470008000000000000001")] // upper-case delivery id
    [InlineData("d1:01942628e3d470008000000000000009:01735787045000:01942628e3d470008000000000000001")] // leading zero
    [InlineData("d1:01942628e3d470008000000000000009:+1735787045000:01942628e3d470008000000000000001")]
    [InlineData("d1:01942628e3d470008000000000000009:253402300800000:01942628e3d470008000000000000001")] // past MaxValue
    [InlineData("d2:01942628e3d470008000000000000009:1735787045000:01942628e3d470008000000000000001")] // another prefix
    [InlineData("01942628e3d470008000000000000009:1735787045000:01942628e3d470008000000000000001")] // no prefix
    [InlineData("d1:01942628e3d470008000000000000009:1735787045000")]
    [InlineData("d1:01942628e3d470008000000000000009:1735787045000:01942628e3d470008000000000000001:1")]
    [InlineData("7:1735787045000:01942628e3d470008000000000000001")] // a ListSyncRuns token's text
    public void TryDecode_OfOtherTextInBase64Url_IsFalse(string text)
    {
        var token = System.Buffers.Text.Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text));

        Assert.False(DeliveryPageToken.TryDecode(token, Webhook, out _));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("!!!")]
    [InlineData("ZDE6MDE5NDI2MjhlM2Q0NzAwMDgwMDAwMDAwMDAwMDAwMDk6MTczNTc4NzA0NTAwMDowMTk0MjYyOGUzZDQ3MDAwODAwMDAwMDAwMDAwMDAwMQ==")] // padded
    [InlineData("ZDE6MDE5NDI2MjhlM2Q0NzAwMDgwMDAwMDAwMDAwMDAwMDk6MTczNTc4NzA0NTAwMDowMTk0MjYyOGUzZDQ3MDAwODAwMDAwMDAwMDAwMDAwMR")] // trailing bits
    public void TryDecode_OfAnythingButACanonicalToken_IsFalse(string? token)
    {
        Assert.False(DeliveryPageToken.TryDecode(token, Webhook, out _));
    }
}
