using Google.Protobuf;
using Google.Protobuf.Reflection;
using Google.Protobuf.WellKnownTypes;
using Google.Rpc;
using Grpc.Core;
using GrpcSync.Domain;

namespace GrpcSync.Server.Errors;

/// <summary>
/// Builds the one error shape every caller gets: a <c>google.rpc.Status</c> with an <c>ErrorInfo</c>
/// (a stable reason) and, for bad input, a <c>BadRequest</c> with field violations. Native gRPC callers
/// read it from the <c>grpc-status-details-bin</c> trailer; JSON transcoding renders it as
/// <c>{"code":..,"message":..,"details":[..]}</c> with the mapped HTTP status.
/// </summary>
public static class RpcErrors
{
    public const string Domain = "grpcsync.v1";

    /// <summary>Message types that may appear in <c>details</c>; transcoding needs them to render JSON.</summary>
    public static TypeRegistry DetailTypes { get; } =
        TypeRegistry.FromMessages(BadRequest.Descriptor, ErrorInfo.Descriptor, RetryInfo.Descriptor);

    public static RpcException From(DomainException error) =>
        Build(ToCode(error.Kind), error.Message, error.Reason, error.Violations);

    public static RpcException Build(Code code, string message, string reason, IReadOnlyList<Domain.FieldViolation>? violations = null) =>
        ToStatus(code, message, reason, violations).ToRpcException();

    public static Google.Rpc.Status ToStatus(Code code, string message, string reason, IReadOnlyList<Domain.FieldViolation>? violations = null)
    {
        var status = new Google.Rpc.Status { Code = (int)code, Message = message };
        status.Details.Add(Any.Pack(new ErrorInfo { Reason = reason, Domain = Domain }));
        if (violations is { Count: > 0 })
        {
            var badRequest = new BadRequest();
            badRequest.FieldViolations.AddRange(violations.Select(v =>
                new BadRequest.Types.FieldViolation { Field = v.Field, Description = v.Description }));
            status.Details.Add(Any.Pack(badRequest));
        }
        return status;
    }

    /// <summary>The JSON body transcoding would write for this status (for errors raised before transcoding runs).</summary>
    public static string ToJson(Google.Rpc.Status status) =>
        System.Text.Json.Nodes.JsonNode.Parse(Formatter.Format(status))!.ToJsonString(CompactJson); // compact, like transcoding

    private static readonly System.Text.Json.JsonSerializerOptions CompactJson =
        new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // Default values written, as transcoding writes them, so errors from either place have the same keys.
    private static readonly JsonFormatter Formatter = new(JsonFormatter.Settings.Default.WithTypeRegistry(DetailTypes).WithFormatDefaultValues(true));

    private static Code ToCode(ErrorKind kind) => kind switch
    {
        ErrorKind.InvalidArgument => Code.InvalidArgument,
        ErrorKind.NotFound => Code.NotFound,
        ErrorKind.AlreadyExists => Code.AlreadyExists,
        ErrorKind.FailedPrecondition => Code.FailedPrecondition,
        ErrorKind.Aborted => Code.Aborted,
        ErrorKind.Unavailable => Code.Unavailable,
        ErrorKind.OutOfRange => Code.OutOfRange,
        _ => Code.Internal,
    };
}
