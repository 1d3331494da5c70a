using Google.Protobuf;
using Grpc.Core;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Infrastructure;

public sealed partial class TestUser
{
    /// <summary>
    /// GetSyncedRecordContent, optionally of one range: over REST as the <c>Range</c> header (or, with
    /// <paramref name="rangeAsField"/>, the <c>range</c> query parameter), over gRPC as the <c>range</c> field.
    /// gRPC reads the whole stream of HttpBody chunks.
    /// </summary>
    public async Task<ContentDownload> DownloadContent(Transport transport, string syncId, string recordId, string? range = null,
        bool rangeAsField = false, IReadOnlyList<(string Name, string Value)>? headers = null)
    {
        if (transport == Transport.Grpc)
        {
            return await DownloadOverGrpc(syncId, recordId, range);
        }
        var path = $"{SyncPath(syncId)}/records/{Uri.EscapeDataString(recordId)}/content";
        if (range is not null && rangeAsField)
        {
            path += "?range=" + Uri.EscapeDataString(range);
        }
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + Token);
        if (range is not null && !rangeAsField)
        {
            request.Headers.TryAddWithoutValidation("Range", range);
        }
        foreach (var (name, value) in headers ?? [])
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await Server.Http.SendAsync(request);
        return await ContentDownload.FromRestAsync(response);
    }

    private async Task<ContentDownload> DownloadOverGrpc(string syncId, string recordId, string? range)
    {
        var request = new GetSyncedRecordContentRequest { SyncId = syncId, RecordId = recordId, Range = range ?? "" };
        using var call = Server.Syncs.GetSyncedRecordContent(request, new CallOptions(Headers(), deadline: DateTime.UtcNow.AddMinutes(2)));
        try
        {
            var responseHeaders = await call.ResponseHeadersAsync;
            using var bytes = new MemoryStream();
            var contentType = "";
            var chunks = 0;
            await foreach (var chunk in call.ResponseStream.ReadAllAsync())
            {
                if (chunks++ == 0)
                {
                    contentType = chunk.ContentType;
                }
                chunk.Data.WriteTo(bytes);
            }
            return new ContentDownload
            {
                Transport = Transport.Grpc,
                Code = StatusCode.OK,
                Bytes = bytes.ToArray(),
                ContentType = contentType,
                ContentRange = responseHeaders.GetValue("grpcsync-content-range"),
                ContentLength = responseHeaders.GetValue("grpcsync-content-length") is { } length ? long.Parse(length, System.Globalization.CultureInfo.InvariantCulture) : null,
                Chunks = chunks,
            };
        }
        catch (RpcException error)
        {
            var status = error.GetRpcStatus() ?? new Google.Rpc.Status { Code = (int)error.StatusCode, Message = error.Status.Detail };
            return new ContentDownload
            {
                Transport = Transport.Grpc,
                Code = error.StatusCode,
                Failure = new Outcome<Google.Api.HttpBody> { Transport = Transport.Grpc, Code = error.StatusCode, Error = status },
            };
        }
    }
}
