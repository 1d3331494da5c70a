using System.Text.Json;
using Google.Protobuf;
using Google.Rpc;
using Grpc.Core;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>How a scenario reaches the server.</summary>
public enum Transport
{
    /// <summary>JSON over HTTP/1.1 on the REST port (gRPC JSON transcoding).</summary>
    Rest,

    /// <summary>Native gRPC over HTTP/2 (h2c) on the gRPC port.</summary>
    Grpc,
}

/// <summary>
/// The result of one call, the same for both transports: the gRPC status code, the response message
/// on success, the rich <c>google.rpc.Status</c> on failure. REST calls also keep the HTTP status and
/// the raw JSON so tests can check the exact wire shape.
/// </summary>
public sealed class Outcome<T> where T : class, IMessage<T>
{
    public required Transport Transport { get; init; }
    public required StatusCode Code { get; init; }
    public T? Value { get; init; }
    public Google.Rpc.Status? Error { get; init; }

    /// <summary>REST only: the HTTP status code.</summary>
    public int? HttpStatus { get; init; }

    /// <summary>REST only: the response body as JSON (null when it was not JSON).</summary>
    public JsonElement? Json { get; init; }

    /// <summary>REST only: the response body as text.</summary>
    public string? Text { get; init; }

    /// <summary>Asserts success and returns the response.</summary>
    public T Ok()
    {
        Assert.True(Code == StatusCode.OK,
            $"{Transport}: expected OK but got {Code} (HTTP {HttpStatus}): {Error?.Message ?? Text}");
        if (Transport == Transport.Rest)
        {
            Assert.Equal(200, HttpStatus);
        }
        return Value!;
    }

    /// <summary>The raw REST JSON body of a successful call.</summary>
    public JsonElement RestJson()
    {
        Assert.Equal(Transport.Rest, Transport);
        Assert.NotNull(Json);
        return Json.Value;
    }

    /// <summary>
    /// Asserts the call failed with <paramref name="expected"/> and returns the rich status. Over REST
    /// it also asserts the mapped HTTP status and the body shape <c>{code, message, details}</c>; on
    /// both transports the details carry a <c>google.rpc.ErrorInfo</c>.
    /// </summary>
    public Google.Rpc.Status Fails(StatusCode expected)
    {
        Assert.True(Code == expected,
            $"{Transport}: expected {expected} but got {Code} (HTTP {HttpStatus}): {Error?.Message ?? Text}");
        Assert.NotNull(Error);
        Assert.Equal((int)expected, Error.Code);
        Assert.False(string.IsNullOrWhiteSpace(Error.Message), "The error has no message.");
        Assert.NotNull(Error.ErrorInfo());
        if (Transport == Transport.Rest)
        {
            Assert.Equal(HttpStatusFor(expected), HttpStatus);
            var body = Json ?? throw new Xunit.Sdk.XunitException($"The REST error body is not JSON: {Text}");
            Assert.Equal(new[] { "code", "details", "message" }, body.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal).ToArray());
            Assert.Equal(JsonValueKind.Number, body.GetProperty("code").ValueKind);
            Assert.Equal((int)expected, body.GetProperty("code").GetInt32());
            Assert.Contains(body.GetProperty("details").EnumerateArray(),
                d => d.GetProperty("@type").GetString() == "type.googleapis.com/google.rpc.ErrorInfo");
        }
        return Error;
    }

    /// <summary>The HTTP status gRPC JSON transcoding maps a gRPC status code to.</summary>
    public static int HttpStatusFor(StatusCode code) => code switch
    {
        StatusCode.OK => 200,
        StatusCode.InvalidArgument or StatusCode.FailedPrecondition or StatusCode.OutOfRange => 400,
        StatusCode.Unauthenticated => 401,
        StatusCode.PermissionDenied => 403,
        StatusCode.NotFound => 404,
        StatusCode.AlreadyExists or StatusCode.Aborted => 409,
        StatusCode.ResourceExhausted => 429,
        StatusCode.Unimplemented => 501,
        StatusCode.Unavailable => 503,
        StatusCode.DeadlineExceeded => 504,
        _ => 500,
    };
}

public static class RpcStatusExtensions
{
    public static ErrorInfo? ErrorInfo(this Google.Rpc.Status status) =>
        status.Details.FirstOrDefault(d => d.Is(Google.Rpc.ErrorInfo.Descriptor))?.Unpack<ErrorInfo>();

    public static BadRequest? BadRequest(this Google.Rpc.Status status) =>
        status.Details.FirstOrDefault(d => d.Is(Google.Rpc.BadRequest.Descriptor))?.Unpack<BadRequest>();

    /// <summary>The field names of the BadRequest detail (empty when there is none).</summary>
    public static IReadOnlyList<string> ViolatedFields(this Google.Rpc.Status status) =>
        status.BadRequest()?.FieldViolations.Select(v => v.Field).ToArray() ?? [];

    /// <summary>Asserts a BadRequest detail names <paramref name="field"/> and returns that violation's description.</summary>
    public static string Violation(this Google.Rpc.Status status, string field)
    {
        var badRequest = status.BadRequest();
        Assert.True(badRequest is not null, $"No google.rpc.BadRequest detail in: {status}");
        var violation = badRequest.FieldViolations.FirstOrDefault(v => v.Field == field);
        Assert.True(violation is not null,
            $"No field violation for '{field}'; got: {string.Join(", ", badRequest.FieldViolations.Select(v => v.Field))}");
        return violation.Description;
    }

    public static string Reason(this Google.Rpc.Status status) => status.ErrorInfo()?.Reason ?? "";
}
