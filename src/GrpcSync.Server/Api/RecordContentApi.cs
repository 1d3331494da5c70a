using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Google.Api;
using Google.Protobuf;
using Grpc.Core;
using GrpcSync.Connectors;
using GrpcSync.Domain;
using GrpcSync.Engine.Credentials;
using GrpcSync.Server.Rest;
using GrpcSync.Storage;
using GrpcSync.V1;
using Code = Google.Rpc.Code;
using SourceContext = GrpcSync.Connectors.SourceContext;

namespace GrpcSync.Server.Api;

/// <summary>
/// GetSyncedRecordContent: a file record's bytes, streamed from the source as they arrive (nothing buffered
/// whole, so no size limit), optionally one byte range that the source itself serves.
/// <para>
/// One server-streaming RPC of <c>google.api.HttpBody</c> serves both transports. Native gRPC callers get
/// HttpBody chunks. REST callers get the raw bytes written to the HTTP response here, not through the
/// transcoder's stream writer: that writer ends every message with a newline (it frames JSON streams), which
/// would corrupt binary content, and it always answers 200, where a range needs 206 and Content-Range.
/// Everything that can fail before the first byte (validation, the record, the credential, the source's
/// answer) is decided first, so those errors keep the one error shape on both transports.
/// </para>
/// </summary>
public sealed class RecordContentApi(IRecordStore records, IEngineStore engineStore, ConnectorRegistry connectors,
    ICredentialSecrets secrets, AccessTokenSources accessTokens, ILogger<RecordContentApi> logger)
{
    /// <summary>Bytes per read from the source, and per HttpBody message for gRPC callers (well under gRPC's 4 MB default).</summary>
    public const int ChunkBytes = 64 * 1024;

    /// <summary>gRPC response header: how many bytes the stream carries, when the source said.</summary>
    public const string ContentLengthHeader = "grpcsync-content-length";

    /// <summary>
    /// gRPC response header of a ranged read: the same value as HTTP's Content-Range. Not "content-range" itself:
    /// .NET's HttpClient files that one among the content headers, which Grpc.Net.Client does not show as metadata.
    /// </summary>
    public const string ContentRangeHeader = "grpcsync-content-range";

    public async Task Stream(Scope scope, GetSyncedRecordContentRequest request, IServerStreamWriter<HttpBody> responseStream, ServerCallContext context)
    {
        var http = context.GetHttpContext();
        var rest = !RequestKinds.IsNativeGrpc(http.Request);
        var (syncId, recordId, range) = Read(request, rest ? http.Request : null);
        var ct = context.CancellationToken;

        SourceContent content;
        try
        {
            content = await OpenAsync(scope, syncId, recordId, request.RecordId, range, Format(request.Format), ct);
        }
        catch (RangeNotSatisfiableException unsatisfiable)
        {
            var message = unsatisfiable.Message + " Ask for a range that starts before the content's end.";
            if (!rest)
            {
                throw new DomainException(ErrorKind.OutOfRange, "RANGE_NOT_SATISFIABLE", message);
            }
            // HTTP's own answer (transcoding would map OUT_OF_RANGE to 400), in the one error shape.
            http.Response.Headers.ContentRange = unsatisfiable.CompleteLength is { } length
                ? string.Create(CultureInfo.InvariantCulture, $"bytes */{length}") : "bytes */*";
            await RestErrorWriter.WriteAsync(http, StatusCodes.Status416RangeNotSatisfiable, Code.OutOfRange, message, "RANGE_NOT_SATISFIABLE");
            return;
        }

        await using (content.Content)
        {
            if (rest)
            {
                await WriteHttpAsync(http, content, ct);
            }
            else
            {
                await WriteGrpcAsync(content, responseStream, context);
            }
        }
    }

    /// <summary>
    /// The ids and the range. The <c>range</c> field is checked strictly (INVALID_ARGUMENT); a REST <c>Range</c>
    /// header follows HTTP: one this server does not serve (several ranges, another unit, bad syntax, or any
    /// with <c>If-Range</c>, whose validator is not checked) is ignored and the whole content is sent.
    /// </summary>
    private static (Guid SyncId, Guid RecordId, ByteRange? Range) Read(GetSyncedRecordContentRequest request, HttpRequest? restRequest)
    {
        var v = new Violations();
        var syncId = v.Uuid("syncId", request.SyncId, required: true);
        var recordId = v.Uuid("recordId", request.RecordId, required: true);
        ByteRange? range = null;
        if (request.Range.Length > 0)
        {
            if (ByteRange.TryParse(request.Range, out var asked, out var problem))
            {
                range = asked;
            }
            else
            {
                v.Add("range", problem);
            }
            if (restRequest?.Headers.Range.Count > 0)
            {
                v.Add("range", "Give the range once: the range field or the Range header, not both.");
            }
        }
        else if (restRequest is not null && restRequest.Headers.Range.Count == 1 && restRequest.Headers.IfRange.Count == 0
                 && ByteRange.TryParse(restRequest.Headers.Range[0], out var header, out _))
        {
            range = header;
        }
        v.ThrowIfAny();
        return (syncId!.Value, recordId!.Value, range);
    }

    /// <summary>The <c>format</c> field: null when absent; a short name of letters and digits (the connector judges it).</summary>
    private static string? Format(string format)
    {
        if (format.Length == 0)
        {
            return null;
        }
        if (format.Length > 16 || !format.All(char.IsAsciiLetterOrDigit))
        {
            var v = new Violations();
            v.Add("format", "must be a short format name such as pdf, docx or csv.");
            v.ThrowIfAny();
        }
        return format.ToLowerInvariant();
    }

    /// <summary>Finds the record, its Sync's connector and credential, and opens the content at the source.</summary>
    private async Task<SourceContent> OpenAsync(Scope scope, Guid syncId, Guid recordId, string recordIdText, ByteRange? range, string? format,
        CancellationToken ct)
    {
        var record = await records.GetRecordAsync(scope, syncId, recordId, ct);
        if (record is null || record.Deleted)
        {
            throw RecordNotFound(recordIdText);
        }
        // The Sync may have been deleted since the record was read.
        var sync = (await engineStore.GetSyncAsync(syncId, ct))?.Sync ?? throw RecordNotFound(recordIdText);
        if (!connectors.TryGet(sync.Integration, out var connector))
        {
            throw new DomainException(ErrorKind.FailedPrecondition, "INTEGRATION_UNAVAILABLE",
                $"Integration '{sync.Integration}' is not available on this server.");
        }
        var credential = sync.CredentialId is { } credentialId ? await engineStore.GetCredentialAsync(credentialId, ct) : null;
        if (credential is null)
        {
            throw new DomainException(ErrorKind.FailedPrecondition, "CREDENTIAL_GONE",
                SyncRules.CredentialGoneReason(sync.CredentialId ?? Guid.Empty));
        }

        using var configuration = JsonDocument.Parse(sync.ConfigurationJson);
        try
        {
            if (credential.InvalidAt is not null)
            {
                throw new DomainException(ErrorKind.FailedPrecondition, SyncEvents.CredentialRejectedCode, SyncRules.CredentialRejectedReason);
            }
            var context = new SourceContext(sync.Pipeline, configuration.RootElement, secrets.Reveal(credential.ProtectedSecret))
            {
                AccessTokens = accessTokens.For(connector, credential.Id, $"content/{Guid.NewGuid():N}"),
            };
            return await connector.DownloadAsync(context, record.ExternalId, range, format, ct);
        }
        catch (PermanentSourceException error) when (error.Code is "FORMAT_UNSUPPORTED" or "NOT_EXPORTABLE")
        {
            throw new DomainException(ErrorKind.InvalidArgument, error.Code, error.Message);
        }
        catch (PermanentSourceException error) when (error.Code == "NOT_FOUND")
        {
            throw new DomainException(ErrorKind.NotFound, "CONTENT_NOT_FOUND", $"The source no longer has record {recordId}'s content.");
        }
        catch (PermanentSourceException error)
        {
            throw new DomainException(ErrorKind.FailedPrecondition, error.Code, error.Message);
        }
        catch (Exception error) when (error is TransientSourceException or RateLimitedSourceException)
        {
            throw new DomainException(ErrorKind.Unavailable, "SOURCE_UNAVAILABLE", $"The source could not be read: {error.Message}");
        }
    }

    /// <summary>
    /// REST: status, headers, then the bytes as the source yields them (Kestrel's flow control holds the
    /// source back when the client reads slowly). Once the first byte is out, no error body can follow: a
    /// source failure resets the connection, which the client sees as a short body.
    /// </summary>
    private async Task WriteHttpAsync(HttpContext http, SourceContent content, CancellationToken ct)
    {
        var response = http.Response;
        response.StatusCode = content.Range is null ? StatusCodes.Status200OK : StatusCodes.Status206PartialContent;
        response.ContentType = content.ContentType;
        response.ContentLength = content.Length;
        response.Headers.AcceptRanges = "bytes";
        if (content.Range is { } served)
        {
            response.Headers.ContentRange = served.ToString();
        }
        var buffer = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            await response.StartAsync(ct);
            int read;
            while ((read = await content.Content.ReadAsync(buffer.AsMemory(0, ChunkBytes), ct)) > 0)
            {
                await response.Body.WriteAsync(buffer.AsMemory(0, read), ct);
            }
        }
        catch (Exception error)
        {
            // Whether the client left or the source failed, the response is cut here and the handler ends
            // normally: transcoding would otherwise append a JSON error to the bytes already sent.
            logger.Log(ct.IsCancellationRequested ? LogLevel.Debug : LogLevel.Warning,
                "Content of {Path} stopped mid-stream: {Reason}", http.Request.Path.Value, error.Message);
            http.Abort();
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>gRPC: the lengths as response headers, then HttpBody chunks; the first names the content type.</summary>
    private static async Task WriteGrpcAsync(SourceContent content, IServerStreamWriter<HttpBody> responseStream, ServerCallContext context)
    {
        var headers = new Metadata();
        if (content.Length is { } length)
        {
            headers.Add(ContentLengthHeader, length.ToString(CultureInfo.InvariantCulture));
        }
        if (content.Range is { } served)
        {
            headers.Add(ContentRangeHeader, served.ToString());
        }
        await context.WriteResponseHeadersAsync(headers);

        var ct = context.CancellationToken;
        var buffer = new byte[ChunkBytes];
        var first = true;
        while (true)
        {
            int read;
            try
            {
                read = await content.Content.ReadAsync(buffer, ct);
            }
            catch (Exception error) when (error is IOException or HttpRequestException || (error is OperationCanceledException && !ct.IsCancellationRequested))
            {
                throw new DomainException(ErrorKind.Unavailable, "SOURCE_UNAVAILABLE", $"The source stopped sending the content: {error.Message}");
            }
            if (read == 0 && !first)
            {
                return;
            }
            // The write serializes the message before it completes, so the buffer is free again afterwards.
            await responseStream.WriteAsync(new HttpBody
            {
                ContentType = first ? content.ContentType : "",
                Data = UnsafeByteOperations.UnsafeWrap(buffer.AsMemory(0, read)),
            }, ct);
            if (read == 0)
            {
                return;
            }
            first = false;
        }
    }

    private static DomainException RecordNotFound(string recordId) =>
        new(ErrorKind.NotFound, "RECORD_NOT_FOUND", $"Record not found: {recordId}");
}
