using System.Text;
using Grpc.Core;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>What came back for one gRPC case: a status through Grpc.Net.Client, or the frames of a raw exchange.</summary>
public sealed record GrpcFuzzResult(StatusCode? Code, string? Detail, bool ClientSideError, byte[] Response, Http2Answer? Raw)
{
    public string StatusLabel => Raw is null
        ? $"grpc-status {(int)Code!.Value} {Code}"
        : Raw.GrpcStatus is { } grpc ? $":status {Raw.HttpStatus}, grpc-status {grpc}"
        : Raw.ResetCode is { } reset ? $"RST_STREAM {Http2Errors.Name(reset)}"
        : Raw.GoAway is { } goAway ? $"GOAWAY {Http2Errors.Name(goAway.Code)}"
        : Raw.HttpStatus is { } status ? $":status {status}"
        : "no answer";
}

/// <summary>
/// What every answer to a gRPC storm case must satisfy: never UNKNOWN, INTERNAL or DATA_LOSS; never HTTP 5xx;
/// UNIMPLEMENTED for a method that does not exist; never a success for a call that must be refused; never a
/// victim's data; and at the HTTP/2 level an answer, no RST_STREAM INTERNAL_ERROR, no GOAWAY other than
/// NO_ERROR / PROTOCOL_ERROR (or what the RFC mandates for the case), and a grpc-status on every gRPC answer.
/// </summary>
public static class GrpcAnswerRules
{
    private static readonly HashSet<int> ServerFaults = [(int)StatusCode.Unknown, (int)StatusCode.Internal, (int)StatusCode.DataLoss];

    public static IEnumerable<FuzzViolation> Check(GrpcFuzzCase fuzzCase, GrpcFuzzResult result, VictimTenants victims)
    {
        if (fuzzCase.TokenKind != TokenKind.Owner && victims.Leaks(Encoding.Latin1.GetString(result.Response)))
        {
            yield return new("answer contains a victim's data", JunkValues.Preview(result.Response, 200));
        }
        if (result.Raw is not { } raw)
        {
            var code = result.Code!.Value;
            if (result.ClientSideError)
            {
                // Grpc.Net.Client failed before the server answered: the case did not test the server.
                yield return new("Grpc.Net.Client could not make the call", $"{code}: {result.Detail}");
                yield break;
            }
            if (ServerFaults.Contains((int)code))
            {
                // Without a grpc-status the client turns the HTTP status into one: say so, it is the server's answer all the same.
                var fromHttp = result.Detail?.StartsWith("Bad gRPC response. HTTP status code:", StringComparison.Ordinal) == true;
                yield return new(fromHttp ? $"grpc-status {code} (client's reading of an HTTP error without grpc-status)" : $"grpc-status {code}", result.Detail ?? "");
            }
            if (fuzzCase.ExpectUnimplemented && code != StatusCode.Unimplemented)
            {
                yield return new("unknown method is not UNIMPLEMENTED", $"{code}: {result.Detail}");
            }
            if (fuzzCase.MustBeRejected && code == StatusCode.OK)
            {
                yield return new("accepted a call that must be refused", JunkValues.Preview(result.Response, 200));
            }
            yield break;
        }

        if (!raw.Answered)
        {
            var resetAfterConnectionError = fuzzCase.ConnectionErrorExpected && raw.TransportError is { } transport
                && !transport.StartsWith("no end of stream", StringComparison.Ordinal); // a reset, not silence
            if (!fuzzCase.AllowNoAnswer && !resetAfterConnectionError)
            {
                yield return new("no answer on the stream", raw.ToString());
            }
            yield break;
        }
        if (raw.DecodeError is not null)
        {
            yield return new("answer headers could not be decoded", raw.ToString());
        }
        if (raw.HttpStatus >= 500)
        {
            yield return new("HTTP 5xx", raw.ToString());
        }
        if (raw.GrpcStatus is { } grpc && ServerFaults.Contains(grpc))
        {
            yield return new($"grpc-status {(StatusCode)grpc}", raw.ToString());
        }
        if (raw.ResetCode == Http2Errors.InternalError)
        {
            yield return new("RST_STREAM INTERNAL_ERROR", raw.ToString());
        }
        if (raw.GoAway is { } goAway && !fuzzCase.AllowedGoAwayCodes.Contains(goAway.Code))
        {
            yield return new($"GOAWAY {Http2Errors.Name(goAway.Code)}", raw.ToString());
        }
        var grpcAnswer = raw.HttpStatus == 200 && raw.Header("content-type")?.StartsWith("application/grpc", StringComparison.Ordinal) == true;
        if (grpcAnswer && raw.Ended && raw.GrpcStatus is null && raw.ResetCode is null && raw.GoAway is null)
        {
            yield return new("gRPC answer without grpc-status", raw.ToString());
        }
        if (fuzzCase.ExpectUnimplemented && raw.HttpStatus == 200 && raw.GrpcStatus != (int)StatusCode.Unimplemented)
        {
            yield return new("unknown method is not UNIMPLEMENTED", raw.ToString());
        }
        if (fuzzCase.ExpectGrpcStatus is { } expected && raw.GrpcStatus != expected)
        {
            yield return new("control case did not get its status", $"expected grpc-status {expected}, got {raw}");
        }
        if (fuzzCase.MustBeRejected && raw.HttpStatus == 200 && raw.GrpcStatus == 0)
        {
            yield return new("accepted a call that must be refused", raw.ToString());
        }
    }
}
