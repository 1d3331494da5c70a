using System.Text;

namespace GrpcSync.Storage.Tests;

public sealed class RecordCursorTests
{
    [Theory]
    [InlineData(121L, "Y3Vyc29yOjEyMQ==")]
    [InlineData(0L, "Y3Vyc29yOjA=")]
    [InlineData(3L, "Y3Vyc29yOjM=")]
    public void Encode_IsBase64OfCursorColonSequence(long sequence, string cursor)
    {
        Assert.Equal(cursor, RecordCursor.Encode(sequence));
        Assert.True(RecordCursor.TryDecode(cursor, out var decoded));
        Assert.Equal(sequence, decoded);
    }

    [Theory]
    [InlineData(1L)]
    [InlineData(9_876_543_210L)]
    [InlineData(long.MaxValue)]
    public void TryDecode_OfEncode_RoundTrips(long sequence)
    {
        Assert.True(RecordCursor.TryDecode(RecordCursor.Encode(sequence), out var decoded));
        Assert.Equal(sequence, decoded);
    }

    [Fact]
    public void Encode_NegativeSequence_IsRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RecordCursor.Encode(-1));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("Y3Vyc29yOjEyMQ")] // padding missing
    [InlineData("Y3Vyc29yOjEyMR==")] // non-canonical padding bits
    [InlineData(" Y3Vyc29yOjEyMQ==")]
    public void TryDecode_OfAnythingButACanonicalCursor_IsFalse(string? cursor)
    {
        Assert.False(RecordCursor.TryDecode(cursor, out var sequence));
        Assert.Equal(0, sequence);
    }

    [Theory]
    [InlineData("cursor:-1")]
    [InlineData("cursor:+1")]
    [InlineData("cursor:007")]
    [InlineData("cursor: 1")]
    [InlineData("cursor:1 ")]
    [InlineData("cursor:")]
    [InlineData("cursor:1.5")]
    [InlineData("cursor:99999999999999999999")]
    [InlineData("Cursor:1")]
    [InlineData("page:1")]
    [InlineData("121")]
    public void TryDecode_OfOtherTextInBase64_IsFalse(string text)
    {
        Assert.False(RecordCursor.TryDecode(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), out _));
    }

    [Fact]
    public void TryDecode_OfAVeryLongInput_IsFalse()
    {
        Assert.False(RecordCursor.TryDecode(Convert.ToBase64String(Encoding.ASCII.GetBytes("cursor:" + new string('1', 200))), out _));
    }
}
