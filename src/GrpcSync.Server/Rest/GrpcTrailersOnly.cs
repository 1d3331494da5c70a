using Code = Google.Rpc.Code;

namespace GrpcSync.Server.Rest;

/// <summary>A gRPC error answered before any gRPC service runs: a "trailers-only" response (status in the headers, no body).</summary>
public static class GrpcTrailersOnly
{
    public static void Set(HttpResponse response, Code code, string message)
    {
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/grpc";
        response.Headers["grpc-status"] = ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
        response.Headers["grpc-message"] = PercentEncode(message);
    }

    /// <summary>The gRPC spec's encoding of grpc-message: printable ASCII as is, except '%'; everything else as %XX of its UTF-8 bytes.</summary>
    public static string PercentEncode(string message)
    {
        var builder = new System.Text.StringBuilder(message.Length);
        foreach (var b in System.Text.Encoding.UTF8.GetBytes(message))
        {
            if (b is >= 0x20 and <= 0x7E and not (byte)'%')
            {
                builder.Append((char)b);
            }
            else
            {
                builder.Append('%').Append(b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture));
            }
        }
        return builder.ToString();
    }
}
