using System.Globalization;
using GrpcSync.Api.Tests.Infrastructure;

namespace GrpcSync.Api.Tests;

/// <summary>The byte patterns and range cases the content tests of both connectors share.</summary>
internal static class ContentStreams
{
    /// <summary>3 MiB + 123 bytes: several gRPC chunks, a last one that is not full, and no byte repeating its neighbour's position.</summary>
    public const int MultiMiB = 3 * 1024 * 1024 + 123;

    /// <summary>Bytes whose value depends on their position, so a shifted or reordered slice fails the comparison.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (var i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 31 + (i >> 12));
        }
        return bytes;
    }

    /// <summary>A Range value, the first and last byte it selects of <paramref name="length"/> bytes: first, middle, suffix and open-ended ranges.</summary>
    public static IEnumerable<(string Range, int First, int Last)> Ranges(int length) =>
    [
        ("bytes=0-99", 0, 99),
        ("bytes=1048000-1049999", 1048000, 1049999),
        ("bytes=-500", length - 500, length - 1),
        (string.Create(CultureInfo.InvariantCulture, $"bytes={length - 70000}-"), length - 70000, length - 1),
        // A last byte past the end is cut to the end.
        (string.Create(CultureInfo.InvariantCulture, $"bytes={length - 10}-{length + 1000}"), length - 10, length - 1),
    ];

    /// <summary>Asserts a 206 (REST) / OK (gRPC) with exactly the bytes and the range headers of first..last of <paramref name="all"/>.</summary>
    public static void AssertSlice(ContentDownload download, byte[] all, int first, int last, string range)
    {
        var bytes = download.Ok(httpStatus: 206);
        Assert.True(all.AsSpan(first, last - first + 1).SequenceEqual(bytes), $"{download.Transport} {range}: {bytes.Length} bytes, not bytes {first}-{last}");
        Assert.Equal(string.Create(CultureInfo.InvariantCulture, $"bytes {first}-{last}/{all.Length}"), download.ContentRange);
        Assert.Equal(last - first + 1, download.ContentLength);
    }
}
