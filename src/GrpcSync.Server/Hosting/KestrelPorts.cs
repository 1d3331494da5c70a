using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GrpcSync.Server.Hosting;

public static class KestrelPorts
{
    /// <summary>
    /// Two ports, because cleartext HTTP/1.1 and HTTP/2 cannot share one (no TLS, so no ALPN):
    /// the REST port speaks HTTP/1.1, the gRPC port HTTP/2 with prior knowledge (h2c).
    /// </summary>
    public static WebApplicationBuilder UseGrpcSyncPorts(this WebApplicationBuilder builder, GrpcSyncOptions options)
    {
        options.Limits.Validate();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            // Kestrel reads a few times past our own limits so that RequestLimitsMiddleware can answer an oversized
            // request in the error shape; its own rejections (beyond these) have no body.
            var limits = options.Limits;
            kestrel.Limits.MaxRequestLineSize = limits.MaxRequestLineBytes * LimitsOptions.KestrelHeadroom;
            kestrel.Limits.MaxRequestHeadersTotalSize = limits.MaxRequestHeadersBytes * LimitsOptions.KestrelHeadroom;
            kestrel.Limits.MaxRequestBodySize = (long)limits.MaxRequestBodyBytes * LimitsOptions.KestrelBodyHeadroom;
            kestrel.Limits.MaxRequestHeaderCount = limits.MaxRequestHeaderCount * LimitsOptions.KestrelHeadroom;
            kestrel.Limits.Http2.MaxRequestHeaderFieldSize = Math.Max(kestrel.Limits.Http2.MaxRequestHeaderFieldSize, limits.MaxRequestHeadersBytes * LimitsOptions.KestrelHeadroom);
            var address = options.ListenAddress is "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.ListenAddress);
            kestrel.Listen(address, options.RestPort, listen => listen.Protocols = HttpProtocols.Http1);
            kestrel.Listen(address, options.GrpcPort, listen => listen.Protocols = HttpProtocols.Http2);
        });
        return builder;
    }
}
