using System.Text.Json;
using Grpc.Core;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// One GetSyncedRecordContent answer, the same for both transports: the bytes (all gRPC chunks joined), the
/// content type, the range headers (REST: Content-Range / Content-Length; gRPC: the grpcsync-content-range and
/// grpcsync-content-length response headers) and, on failure, the error as an <see cref="Outcome{T}"/>.
/// </summary>
public sealed class ContentDownload
{
    public required Transport Transport { get; init; }
    public required StatusCode Code { get; init; }

    /// <summary>REST only: the HTTP status.</summary>
    public int? HttpStatus { get; init; }

    public byte[] Bytes { get; init; } = [];
    public string ContentType { get; init; } = "";
    public string? ContentRange { get; init; }
    public long? ContentLength { get; init; }

    /// <summary>gRPC only: how many HttpBody messages arrived.</summary>
    public int Chunks { get; init; }

    public Outcome<Google.Api.HttpBody>? Failure { get; init; }

    /// <summary>Asserts success (REST: with <paramref name="httpStatus"/>) and returns the bytes.</summary>
    public byte[] Ok(int httpStatus = 200)
    {
        Assert.True(Code == StatusCode.OK,
            $"{Transport}: expected OK but got {Code} (HTTP {HttpStatus}): {Failure?.Error?.Message ?? Failure?.Text}");
        if (Transport == Transport.Rest)
        {
            Assert.Equal(httpStatus, HttpStatus);
        }
        return Bytes;
    }

    internal static async Task<ContentDownload> FromRestAsync(HttpResponseMessage response)
    {
        var status = (int)response.StatusCode;
        var bytes = await response.Content.ReadAsByteArrayAsync();
        var contentRange = response.Content.Headers.TryGetValues("Content-Range", out var values) ? string.Join(",", values) : null;
        if (response.IsSuccessStatusCode)
        {
            return new ContentDownload
            {
                Transport = Transport.Rest,
                Code = StatusCode.OK,
                HttpStatus = status,
                Bytes = bytes,
                ContentType = response.Content.Headers.ContentType?.ToString() ?? "",
                ContentRange = contentRange,
                ContentLength = response.Content.Headers.ContentLength,
            };
        }
        var text = System.Text.Encoding.UTF8.GetString(bytes);
        JsonElement? json = null;
        Google.Rpc.Status? error = null;
        try
        {
            json = JsonDocument.Parse(text).RootElement.Clone();
            error = RestJson.ParseStatus(text);
        }
        catch (Exception e) when (e is JsonException or Google.Protobuf.InvalidProtocolBufferException)
        {
            // Not the error shape; the assertions report the text.
        }
        var code = error is null ? StatusCode.Unknown : (StatusCode)error.Code;
        return new ContentDownload
        {
            Transport = Transport.Rest,
            Code = code,
            HttpStatus = status,
            ContentType = response.Content.Headers.ContentType?.ToString() ?? "",
            ContentRange = contentRange,
            Failure = new Outcome<Google.Api.HttpBody> { Transport = Transport.Rest, Code = code, HttpStatus = status, Json = json, Text = text, Error = error },
        };
    }
}
