using System.Buffers;
using System.Text.Json;
using Code = Google.Rpc.Code;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;

namespace GrpcSync.Server.Rest;

/// <summary>
/// The last word on every REST error: whatever rejected the request — routing (404), the server's body limit
/// (413), a broken chunked body (400), transcoding's own parse errors (<c>details: []</c>) — the caller gets the
/// one error shape <c>{"code","message","details":[ErrorInfo…]}</c> as UTF-8 JSON. Bodies that already carry an
/// <c>ErrorInfo</c> (every error of ours) pass unchanged; successful responses are never touched.
/// Native gRPC calls are not REST and pass by.
/// </summary>
public sealed class ErrorShapeMiddleware(RequestDelegate next, ILogger<ErrorShapeMiddleware> logger)
{
    private const string ErrorInfoType = "type.googleapis.com/google.rpc.ErrorInfo";

    public async Task InvokeAsync(HttpContext context)
    {
        if (RequestKinds.IsNativeGrpc(context.Request))
        {
            await next(context);
            if (context.Response.StatusCode >= 400 && !context.Response.HasStarted
                && context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>() is null)
            {
                // e.g. a GET on a gRPC method's path: no route, so no gRPC service to answer it.
                var code = context.Response.StatusCode is 404 or 405 ? Code.Unimplemented : RestErrorWriter.CodeOf(context.Response.StatusCode);
                GrpcTrailersOnly.Set(context.Response, code, $"No gRPC method answers {context.Request.Method} {context.Request.Path}.");
            }
            return;
        }

        var response = context.Response;
        var original = response.Body;
        var originalWriter = response.BodyWriter;
        using var holding = new ErrorHoldingStream(original, context);
        response.Body = holding;
        try
        {
            await next(context);
        }
        catch (RequestBodyTooLargeException) when (!response.HasStarted)
        {
            response.Body = original;
            await RequestBodies.DrainAsync(context.Request, context.RequestAborted);
            await Write(context, StatusCodes.Status413PayloadTooLarge, RejectionMessage(413), "REQUEST_TOO_LARGE");
            return;
        }
        catch (BadHttpRequestException error) when (!response.HasStarted)
        {
            // The body could not be read (too large, malformed chunking, too slow): the client's fault, not ours.
            logger.LogDebug("Rejected a request body: {Status} {Reason}", error.StatusCode, error.Message);
            response.Body = original;
            await Write(context, error.StatusCode, RejectionMessage(error.StatusCode, error.Message), error.StatusCode switch
            {
                413 => "REQUEST_TOO_LARGE",
                408 => "REQUEST_TIMEOUT",
                _ => "INVALID_REQUEST_BODY",
            });
            return;
        }
        catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
        {
            return; // the client went away; nobody is left to answer
        }
        catch (IOException error) when (!response.HasStarted && !context.RequestAborted.IsCancellationRequested)
        {
            // Kestrel reports some malformed bodies (a chunk size that overflows) as a plain IOException.
            logger.LogDebug("Rejected an unreadable request body: {Reason}", error.Message);
            response.Body = original;
            await Write(context, StatusCodes.Status400BadRequest, RejectionMessage(400, error.Message), "INVALID_REQUEST_BODY");
            return;
        }
        finally
        {
            response.Body = original;
        }

        if (holding.HoldsAnswer)
        {
            // One write without a flush: the server sends headers, body and the end of the response together.
            if (!response.HasStarted && response.ContentLength is null)
            {
                response.ContentLength = holding.HeldAnswer.Length;
            }
            originalWriter.Write(holding.HeldAnswer);
            holding.ReleaseAnswer();
            return;
        }
        if (holding.Held is { } held)
        {
            if (!holding.Overflowed && HasErrorInfo(held))
            {
                held.Position = 0;
                await held.CopyToAsync(original, context.RequestAborted);
                return;
            }
            var (code, message) = holding.Overflowed ? (null, null) : ReadStatus(held);
            response.Headers.ContentLength = null;
            await Write(context, response.StatusCode, message ?? DefaultMessage(context), ReasonFor(response.StatusCode, message, context), code);
            return;
        }
        if (!response.HasStarted && !holding.PassedAny && response.Headers.ContainsKey("grpc-status"))
        {
            // grpc-dotnet's catch-all for unknown gRPC methods ("/{service}/{method}") answered a REST request.
            response.StatusCode = StatusCodes.Status404NotFound;
            response.ContentType = null;
            await Write(context, StatusCodes.Status404NotFound, DefaultMessage(context), "ROUTE_NOT_FOUND");
            return;
        }
        if (response.StatusCode >= 400 && !response.HasStarted && !holding.PassedAny)
        {
            await Write(context, response.StatusCode, DefaultMessage(context), ReasonFor(response.StatusCode, null, context));
        }
    }

    private static Task Write(HttpContext context, int httpStatus, string message, string reason, int? code = null)
    {
        // grpc-dotnet marks its rejection of a non-gRPC request on a gRPC path with gRPC headers; this answer is REST.
        context.Response.Headers.Remove("grpc-status");
        context.Response.Headers.Remove("grpc-message");
        var rpcCode = code is { } c && Enum.IsDefined(typeof(Code), c) ? (Code)c : RestErrorWriter.CodeOf(httpStatus);
        var violations = reason == "INVALID_ARGUMENT" ? QueryValues.Problems(context) : null;
        if (violations is { Count: > 0 })
        {
            message = string.Join(" ", violations.Select(v => v.Description));
        }
        return RestErrorWriter.WriteAsync(context, httpStatus, rpcCode, message, reason, violations);
    }

    private static bool HasErrorInfo(MemoryStream held)
    {
        try
        {
            using var document = JsonDocument.Parse(held.GetBuffer().AsMemory(0, (int)held.Length));
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("details", out var details)
                && details.ValueKind == JsonValueKind.Array
                && details.EnumerateArray().Any(d => d.ValueKind == JsonValueKind.Object
                    && d.TryGetProperty("@type", out var type) && type.ValueEquals(ErrorInfoType));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    /// <summary>The code and message of a <c>google.rpc.Status</c> body without details (transcoding's own errors).</summary>
    private static (int? Code, string? Message) ReadStatus(MemoryStream held)
    {
        try
        {
            using var document = JsonDocument.Parse(held.GetBuffer().AsMemory(0, (int)held.Length));
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (null, null);
            }
            int? code = root.TryGetProperty("code", out var c) && c.TryGetInt32(out var value) ? value : null;
            string? message = root.TryGetProperty("message", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null;
            return (code, string.IsNullOrWhiteSpace(message) ? null : message);
        }
        catch (JsonException)
        {
            return (null, null);
        }
    }

    /// <summary>A stable reason for what the framework rejected, from the status and, for a 400, what was wrong.</summary>
    private static string ReasonFor(int status, string? message, HttpContext context) => status switch
    {
        400 when IsJsonProblem(message, context) => "INVALID_JSON",
        400 => "INVALID_ARGUMENT",
        401 => "UNAUTHENTICATED",
        404 or 405 => "ROUTE_NOT_FOUND",
        408 => "REQUEST_TIMEOUT",
        411 => "LENGTH_REQUIRED",
        413 => "REQUEST_TOO_LARGE",
        414 => "URI_TOO_LONG",
        415 => "UNSUPPORTED_MEDIA_TYPE",
        431 => "HEADERS_TOO_LARGE",
        429 => "RATE_LIMITED",
        >= 500 => "INTERNAL",
        _ => "HTTP_" + status,
    };

    /// <summary>
    /// On a route with a body, transcoding's own 400s are about the body (a value it could not convert, such
    /// as an unknown enum name) unless a query parameter is at fault.
    /// </summary>
    private static bool IsJsonProblem(string? message, HttpContext context) =>
        context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>()?.HttpRule.Body.Length > 0
        && (message?.Contains("JSON", StringComparison.Ordinal) == true || QueryValues.Problems(context) is not { Count: > 0 });

    private static string DefaultMessage(HttpContext context) => context.Response.StatusCode switch
    {
        404 or 405 => $"No API route matches {context.Request.Method} {Clip(context.Request.Path.Value)}.",
        413 => "The request body is larger than this server accepts.",
        415 => $"The Content-Type '{Clip(context.Request.ContentType)}' is not supported here: gRPC calls send application/grpc, REST calls application/json.",
        _ => $"The request was rejected (HTTP {context.Response.StatusCode}).",
    };

    private static string RejectionMessage(int status, string? detail = null) => status switch
    {
        413 => "The request body is larger than this server accepts (GrpcSync:Limits:MaxRequestBodyBytes).",
        408 => "The request body arrived too slowly.",
        _ => "The request body could not be read: " + detail,
    };

    private static string Clip(string? value) => value is null ? "" : value.Length <= 200 ? value : value[..200] + "…";
}
