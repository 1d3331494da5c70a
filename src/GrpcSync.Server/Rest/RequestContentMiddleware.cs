using System.Text;
using Code = Google.Rpc.Code;
using Microsoft.AspNetCore.Grpc.JsonTranscoding;
using Microsoft.Net.Http.Headers;

namespace GrpcSync.Server.Rest;

/// <summary>
/// Checks what a transcoded REST request declares about its body before transcoding reads it, because
/// transcoding throws (HTTP 500) for a charset it cannot look up (unknown, empty or quoted) and answers a
/// non-JSON media type with a bare 400:
/// <list type="bullet">
/// <item>a charset, on any method: <c>utf-8</c> (quoted or not) passes; another charset .NET knows
/// (<c>utf-16</c>, <c>iso-8859-1</c>…) is converted to UTF-8 here; an empty or unknown one is 415 <c>UNSUPPORTED_CHARSET</c>;</item>
/// <item>a body: it must be JSON (<c>application/json</c> or <c>*/*+json</c>) → else 415 <c>UNSUPPORTED_MEDIA_TYPE</c>;
/// and not content-coded (no request decompression) → else 415 <c>UNSUPPORTED_CONTENT_ENCODING</c>.</item>
/// </list>
/// What passes reaches transcoding as <c>application/json; charset=utf-8</c>, so every answer, errors
/// included, is UTF-8 JSON.
/// </summary>
public sealed class RequestContentMiddleware(RequestDelegate next)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var metadata = context.GetEndpoint()?.Metadata.GetMetadata<GrpcJsonTranscodingMetadata>();
        var request = context.Request;
        if (metadata is null)
        {
            await next(context);
            return;
        }

        var hasBody = metadata.HttpRule.Body.Length > 0 && RequestBodies.HasBody(request);
        Encoding? declared = null;
        if (!string.IsNullOrEmpty(request.ContentType))
        {
            if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType))
            {
                if (hasBody)
                {
                    await Reject(context, "UNSUPPORTED_MEDIA_TYPE", $"The Content-Type '{Clip(request.ContentType)}' is not a valid media type; send 'application/json'.");
                    return;
                }
                request.Headers.ContentType = default; // no body to describe; transcoding must not parse it either
            }
            else
            {
                if (mediaType.Charset.HasValue || HasCharsetParameter(mediaType))
                {
                    var charset = HeaderUtilities.RemoveQuotes(mediaType.Charset).ToString().Trim();
                    declared = EncodingOf(charset);
                    if (declared is null)
                    {
                        await Reject(context, "UNSUPPORTED_CHARSET",
                            charset.Length == 0
                                ? "The Content-Type has an empty charset; send JSON as UTF-8 ('application/json; charset=utf-8' or no charset)."
                                : $"The charset '{Clip(charset)}' is not supported; send JSON as UTF-8 ('application/json; charset=utf-8' or no charset).");
                        return;
                    }
                }
                if (hasBody && !IsJson(mediaType))
                {
                    await Reject(context, "UNSUPPORTED_MEDIA_TYPE",
                        $"The request body must be JSON (Content-Type 'application/json'), not '{Clip(mediaType.MediaType.ToString())}'.");
                    return;
                }
            }
        }
        else if (hasBody)
        {
            await Reject(context, "UNSUPPORTED_MEDIA_TYPE", "The request has a body but no Content-Type; send 'Content-Type: application/json'.");
            return;
        }

        if (hasBody)
        {
            var coding = request.Headers.ContentEncoding.ToString().Trim();
            if (coding.Length > 0 && !coding.Equals("identity", StringComparison.OrdinalIgnoreCase))
            {
                await Reject(context, "UNSUPPORTED_CONTENT_ENCODING",
                    $"Content-Encoding '{Clip(coding)}' is not supported; send the JSON body uncompressed.");
                return;
            }
            if (declared is not null && declared.CodePage != Encoding.UTF8.CodePage)
            {
                await ConvertBodyToUtf8(request, declared, context.RequestAborted);
            }
        }
        if (!string.Equals(request.ContentType, RestErrorWriter.JsonContentType, StringComparison.Ordinal) && (hasBody || declared is not null))
        {
            request.ContentType = RestErrorWriter.JsonContentType;
        }
        await next(context);
    }

    /// <summary>A <c>charset=</c> with nothing after it parses as a parameter without value.</summary>
    private static bool HasCharsetParameter(MediaTypeHeaderValue mediaType) =>
        mediaType.Parameters.Any(p => p.Name.Equals("charset", StringComparison.OrdinalIgnoreCase));

    private static bool IsJson(MediaTypeHeaderValue mediaType) =>
        mediaType.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
        || mediaType.MediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);

    /// <summary>The encoding of a charset name, or null when it is empty or unknown (only .NET's built-in encodings).</summary>
    private static Encoding? EncodingOf(string charset)
    {
        if (charset.Length == 0)
        {
            return null;
        }
        if (charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase) || charset.Equals("utf8", StringComparison.OrdinalIgnoreCase))
        {
            return Encoding.UTF8;
        }
        try
        {
            return Encoding.GetEncoding(charset);
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    /// <summary>Bodies are bounded by Kestrel's body limit, so the converted copy is too.</summary>
    private static async Task ConvertBodyToUtf8(HttpRequest request, Encoding declared, CancellationToken ct)
    {
        var utf8 = new MemoryStream();
        await using (var converting = Encoding.CreateTranscodingStream(request.Body, declared, Encoding.UTF8, leaveOpen: true))
        {
            await converting.CopyToAsync(utf8, ct);
        }
        utf8.Position = 0;
        request.Body = utf8;
        request.ContentLength = utf8.Length;
        request.HttpContext.Response.RegisterForDispose(utf8);
    }

    private static Task Reject(HttpContext context, string reason, string message) =>
        RestErrorWriter.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, Code.InvalidArgument, message, reason);

    private static string Clip(string value) => value.Length <= 100 ? value : value[..100] + "…";
}
