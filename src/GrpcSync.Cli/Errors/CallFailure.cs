using System.Net.Http;
using System.Net.Sockets;
using Google.Rpc;
using Grpc.Core;

namespace GrpcSync.Cli.Errors;

/// <summary>
/// What a failed call means for the caller: its gRPC code, message, the google.rpc.Status details the server sent
/// in the grpc-status-details-bin trailer (ErrorInfo, BadRequest) and the exit code it maps to.
/// </summary>
public sealed record CallFailure(
    StatusCode Code,
    string Message,
    string? Reason,
    IReadOnlyDictionary<string, string> Metadata,
    IReadOnlyList<(string Field, string Description)> Violations,
    bool Unreachable)
{
    public static CallFailure From(RpcException error)
    {
        var status = error.GetRpcStatus();
        var info = status?.GetDetail<ErrorInfo>();
        var badRequest = status?.GetDetail<BadRequest>();
        return new CallFailure(
            error.StatusCode,
            status?.Message is { Length: > 0 } message ? message : error.Status.Detail,
            info?.Reason is { Length: > 0 } reason ? reason : null,
            info?.Metadata.ToDictionary(m => m.Key, m => m.Value) ?? [],
            badRequest?.FieldViolations.Select(v => (v.Field, v.Description)).ToList() ?? [],
            IsUnreachable(error));
    }

    /// <summary>The exit code (see <see cref="ExitCodes"/>).</summary>
    public int ExitCode => Unreachable
        ? ExitCodes.Unreachable
        : Code switch
        {
            StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange
                or StatusCode.AlreadyExists or StatusCode.Aborted => ExitCodes.BadInput,
            StatusCode.NotFound => ExitCodes.NotFound,
            StatusCode.Unauthenticated or StatusCode.PermissionDenied => ExitCodes.Denied,
            _ => ExitCodes.Failure,
        };

    /// <summary>The gRPC code as the wire and the docs spell it (NOT_FOUND, INVALID_ARGUMENT ...).</summary>
    public string CodeName => Code switch
    {
        StatusCode.OK => "OK",
        StatusCode.Cancelled => "CANCELLED",
        StatusCode.Unknown => "UNKNOWN",
        StatusCode.InvalidArgument => "INVALID_ARGUMENT",
        StatusCode.DeadlineExceeded => "DEADLINE_EXCEEDED",
        StatusCode.NotFound => "NOT_FOUND",
        StatusCode.AlreadyExists => "ALREADY_EXISTS",
        StatusCode.PermissionDenied => "PERMISSION_DENIED",
        StatusCode.Unauthenticated => "UNAUTHENTICATED",
        StatusCode.ResourceExhausted => "RESOURCE_EXHAUSTED",
        StatusCode.FailedPrecondition => "FAILED_PRECONDITION",
        StatusCode.Aborted => "ABORTED",
        StatusCode.OutOfRange => "OUT_OF_RANGE",
        StatusCode.Unimplemented => "UNIMPLEMENTED",
        StatusCode.Internal => "INTERNAL",
        StatusCode.Unavailable => "UNAVAILABLE",
        StatusCode.DataLoss => "DATA_LOSS",
        _ => ((int)Code).ToString(System.Globalization.CultureInfo.InvariantCulture),
    };

    /// <summary>
    /// Unreachable, as opposed to an UNAVAILABLE the server itself answered (a source failing mid-stream): the
    /// client raised it from a failed connection, so no status came from the server.
    /// </summary>
    private static bool IsUnreachable(RpcException error)
    {
        if (error.StatusCode is not (StatusCode.Unavailable or StatusCode.DeadlineExceeded or StatusCode.Internal))
        {
            return false;
        }
        for (Exception? inner = error.Status.DebugException; inner is not null; inner = inner.InnerException)
        {
            if (inner is HttpRequestException or SocketException)
            {
                return true;
            }
        }
        return false;
    }
}
