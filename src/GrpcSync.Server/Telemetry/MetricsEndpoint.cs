using GrpcSync.Server.Hosting;
using System.Net;
using Microsoft.AspNetCore.Server.Kestrel.Core;

namespace GrpcSync.Server.Telemetry;

/// <summary>
/// <c>GET /metrics</c>, the Prometheus scrape: on the REST port by default, or alone on
/// <c>GrpcSync:Telemetry:Metrics:Port</c>. It answers before every other middleware, so it needs no token and
/// the API's error shape, limits and rate limits never see it; on any other port (or path) it does not exist.
/// </summary>
public static class MetricsEndpoint
{
    /// <summary>Opens the scrape's own port, when one is configured.</summary>
    public static WebApplicationBuilder UseGrpcSyncMetricsPort(this WebApplicationBuilder builder, GrpcSyncOptions options)
    {
        var metrics = options.Telemetry.Metrics;
        if (metrics.Enabled && metrics.Port is { } port)
        {
            var address = options.ListenAddress is "localhost" ? IPAddress.Loopback : IPAddress.Parse(options.ListenAddress);
            builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(address, port, listen => listen.Protocols = HttpProtocols.Http1));
        }
        return builder;
    }

    /// <summary>Serves the scrape; call before the API's middleware.</summary>
    public static WebApplication UseGrpcSyncMetricsEndpoint(this WebApplication app, GrpcSyncOptions options)
    {
        var metrics = options.Telemetry.Metrics;
        if (!metrics.Enabled)
        {
            return app;
        }
        var port = metrics.Port ?? options.RestPort;
        var path = new PathString(metrics.Path);
        app.UseOpenTelemetryPrometheusScrapingEndpoint(context => IsScrape(context, port, path));
        if (metrics.Port is not null)
        {
            // The scrape's own port serves nothing else: the API stays on its ports.
            app.Use((context, next) =>
            {
                if (context.Connection.LocalPort != port)
                {
                    return next(context);
                }
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return Task.CompletedTask;
            });
        }
        return app;
    }

    private static bool IsScrape(HttpContext context, int port, PathString path) =>
        context.Connection.LocalPort == port && context.Request.Path.Equals(path, StringComparison.OrdinalIgnoreCase)
        && (HttpMethods.IsGet(context.Request.Method) || HttpMethods.IsHead(context.Request.Method));
}
