using Code = Google.Rpc.Code;
using GrpcSync.Server.Errors;

namespace GrpcSync.Server.Rest;

/// <summary>
/// Writes the one error body (<c>{"code","message","details":[ErrorInfo, BadRequest?]}</c>) for rejections
/// decided before JSON transcoding runs, always as UTF-8 JSON whatever the request declared.
/// </summary>
public static class RestErrorWriter
{
    public const string JsonContentType = "application/json; charset=utf-8";

    public static Task WriteAsync(HttpContext context, int httpStatus, Code code, string message, string reason,
        IReadOnlyList<Domain.FieldViolation>? violations = null) =>
        WriteAsync(context.Response, httpStatus, RpcErrors.ToStatus(code, message, reason, violations), context.RequestAborted);

    public static async Task WriteAsync(HttpResponse response, int httpStatus, Google.Rpc.Status status, CancellationToken ct)
    {
        var body = System.Text.Encoding.UTF8.GetBytes(RpcErrors.ToJson(status));
        response.StatusCode = httpStatus;
        response.ContentType = JsonContentType;
        response.ContentLength = body.Length;
        await response.Body.WriteAsync(body, ct);
    }

    /// <summary>The gRPC code of an HTTP status, as google.rpc's HTTP mapping defines it (for framework rejections).</summary>
    public static Code CodeOf(int httpStatus) => httpStatus switch
    {
        400 or 411 or 413 or 414 or 415 or 431 => Code.InvalidArgument,
        401 => Code.Unauthenticated,
        403 => Code.PermissionDenied,
        404 or 405 => Code.NotFound,
        408 => Code.DeadlineExceeded,
        409 => Code.Aborted,
        412 => Code.FailedPrecondition,
        429 => Code.ResourceExhausted,
        499 => Code.Cancelled,
        501 => Code.Unimplemented,
        503 => Code.Unavailable,
        504 => Code.DeadlineExceeded,
        _ when httpStatus >= 500 => Code.Internal,
        _ => Code.Unknown,
    };
}
