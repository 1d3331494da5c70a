namespace GrpcSync.Server.Hosting;

/// <summary>
/// <c>GrpcSync:Limits</c>: the size of what a caller may send. Over a limit the caller gets the JSON error
/// (REST) or a gRPC status; Kestrel itself is set to 4× the line and header limits, and only beyond that does
/// it close the connection with its own bodiless status (nothing can be answered without buffering it all).
/// </summary>
public sealed class LimitsOptions
{
    /// <summary>Method, target (path and query) and protocol of the request line: 414 beyond.</summary>
    public int MaxRequestLineBytes { get; set; } = 8 * 1024;

    /// <summary>All header names and values together: 431 beyond.</summary>
    public int MaxRequestHeadersBytes { get; set; } = 32 * 1024;

    /// <summary>How many headers a request may have: 431 / RESOURCE_EXHAUSTED beyond.</summary>
    public int MaxRequestHeaderCount { get; set; } = 100;

    /// <summary>A REST body or a gRPC request message: 413 / RESOURCE_EXHAUSTED beyond.</summary>
    public int MaxRequestBodyBytes { get; set; } = 1024 * 1024;

    /// <summary>
    /// How much larger than the body limit Kestrel still reads (and drops) so that a client still uploading
    /// reads the 413 instead of a reset; reading to drop costs no memory, so it is generous.
    /// </summary>
    public const int KestrelBodyHeadroom = 16;

    /// <summary>How much larger than the line and header limits Kestrel still reads a request in order to answer it properly.</summary>
    public const int KestrelHeadroom = 4;

    public void Validate()
    {
        if (MaxRequestLineBytes < 256 || MaxRequestHeadersBytes < 1024 || MaxRequestHeaderCount < 16 || MaxRequestBodyBytes < 64 * 1024)
        {
            throw new InvalidOperationException(
                "GrpcSync:Limits: MaxRequestLineBytes must be at least 256, MaxRequestHeadersBytes at least 1024, MaxRequestHeaderCount at least 16 and MaxRequestBodyBytes at least 65536.");
        }
    }
}
