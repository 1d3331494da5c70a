using System.Text;
using GrpcSync.Domain;

namespace GrpcSync.Domain.Tests;

public sealed class RecordCursorTests
{
    // Expected cursors: base64 of the text, computed with Python's base64 module.

    [Theory]
    [InlineData(7L, 121L, "Y3Vyc29yOjc6MTIx")] // "cursor:7:121"
    [InlineData(7L, 0L, "Y3Vyc29yOjc6MA==")] // "cursor:7:0"
    [InlineData(1_735_787_045_000L, 3L, "Y3Vyc29yOjE3MzU3ODcwNDUwMDA6Mw==")] // "cursor:1735787045000:3"
    public void Encode_IsBase64OfCursorIncarnationSequence(long incarnation, long sequence, string cursor)
    {
        Assert.Equal(cursor, RecordCursor.Encode(incarnation, sequence));
        Assert.True(RecordCursor.TryDecode(cursor, out var decodedIncarnation, out var decodedSequence));
        Assert.Equal((incarnation, sequence), (decodedIncarnation, decodedSequence));
    }

    [Theory]
    [InlineData(0L, 1L)]
    [InlineData(1L, 9_876_543_210L)]
    [InlineData(long.MaxValue, long.MaxValue)]
    [InlineData(4_611_686_018_427_387_904L, 0L)]
    public void TryDecode_OfEncode_RoundTrips(long incarnation, long sequence)
    {
        Assert.True(RecordCursor.TryDecode(RecordCursor.Encode(incarnation, sequence), out var decodedIncarnation, out var decodedSequence));
        Assert.Equal((incarnation, sequence), (decodedIncarnation, decodedSequence));
    }

    [Fact]
    public void Encode_OfTheSamePositionInAnotherIncarnation_IsAnotherCursor()
    {
        Assert.NotEqual(RecordCursor.Encode(7, 121), RecordCursor.Encode(8, 121));
        Assert.True(RecordCursor.TryDecode(RecordCursor.Encode(8, 121), out var incarnation, out _));
        Assert.Equal(8, incarnation);
    }

    [Theory]
    [InlineData(-1L, 0L)]
    [InlineData(0L, -1L)]
    public void Encode_NegativeIncarnationOrSequence_IsRejected(long incarnation, long sequence)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => RecordCursor.Encode(incarnation, sequence));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not base64!")]
    [InlineData("Y3Vyc29yOjc6MA")] // padding missing
    [InlineData("Y3Vyc29yOjc6MB==")] // non-canonical padding bits
    [InlineData(" Y3Vyc29yOjc6MTIx")]
    [InlineData("Y3Vyc29yOjc6MTIx ")]
    [InlineData("Y3Vyc29yOjEyMQ==")] // "cursor:121", the format before incarnations: no life to check it against
    public void TryDecode_OfAnythingButACanonicalCursor_IsFalse(string? cursor)
    {
        Assert.False(RecordCursor.TryDecode(cursor, out var incarnation, out var sequence));
        Assert.Equal((0L, 0L), (incarnation, sequence));
    }

    [Theory]
    [InlineData("cursor:7:-1")]
    [InlineData("cursor:-7:1")]
    [InlineData("cursor:+7:1")]
    [InlineData("cursor:7:+1")]
    [InlineData("cursor:07:1")]
    [InlineData("cursor:7:01")]
    [InlineData("cursor:7: 1")]
    [InlineData("cursor:7:1 ")]
    [InlineData("cursor:7:")]
    [InlineData("cursor::1")]
    [InlineData("cursor:7")]
    [InlineData("cursor:7:1:2")]
    [InlineData("cursor:7:1.5")]
    [InlineData("cursor:7:99999999999999999999")]
    [InlineData("cursor:99999999999999999999:1")]
    [InlineData("Cursor:7:1")]
    [InlineData("page:7:1")]
    [InlineData("7:121")]
    public void TryDecode_OfOtherTextInBase64_IsFalse(string text)
    {
        Assert.False(RecordCursor.TryDecode(Convert.ToBase64String(Encoding.UTF8.GetBytes(text)), out _, out _));
    }

    [Fact]
    public void TryDecode_OfAVeryLongInput_IsFalse()
    {
        Assert.False(RecordCursor.TryDecode(Convert.ToBase64String(Encoding.ASCII.GetBytes("cursor:1:" + new string('1', 200))), out _, out _));
    }
}
