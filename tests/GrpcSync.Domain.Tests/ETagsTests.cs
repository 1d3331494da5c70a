using GrpcSync.Domain;

namespace GrpcSync.Domain.Tests;

public class ETagsTests
{
    // Expected values: first 8 bytes of SHA-256("<id:N>:<unix ms>:<version>") as lower-case hex,
    // computed with Python's hashlib.

    [Fact]
    public void For_IsTheFirstEightBytesOfSha256AsLowerCaseHex()
    {
        Assert.Equal("30d4fc3884923728", ETags.For(TestData.SyncId, TestData.T0, 1));
    }

    [Fact]
    public void For_ChangesWithVersion()
    {
        Assert.Equal("ee39d8287b5f6edc", ETags.For(TestData.SyncId, TestData.T0, 2));
    }

    [Fact]
    public void For_ChangesWithCreatedAt()
    {
        Assert.Equal("7f1a511dfa97808e", ETags.For(TestData.SyncId, TestData.T0.AddMilliseconds(1), 1));
    }

    [Fact]
    public void For_SameInstantInAnotherOffset_GivesTheSameETag()
    {
        var sameInstant = new DateTimeOffset(2025, 1, 2, 5, 4, 5, TimeSpan.FromHours(2));

        Assert.Equal("30d4fc3884923728", ETags.For(TestData.SyncId, sameInstant, 1));
    }

    [Fact]
    public void SyncETag_IsBuiltFromIdCreatedAtAndVersion()
    {
        var sync = TestData.IdleSync() with { CreatedAt = TestData.T0, Version = 1 };

        Assert.Equal("30d4fc3884923728", sync.ETag);
        Assert.Equal("ee39d8287b5f6edc", (sync with { Version = 2 }).ETag);
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("\"abc\"")]
    [InlineData("W/\"abc\"")]
    [InlineData(" abc ")]
    [InlineData(" W/\"abc\" ")]
    public void Normalize_StripsQuotesWeakPrefixAndWhitespace(string value)
    {
        Assert.Equal("abc", ETags.Normalize(value));
    }

    [Fact]
    public void Normalize_LoneQuote_IsLeftAlone()
    {
        Assert.Equal("\"", ETags.Normalize("\""));
    }
}
