using GrpcSync.Server.Hosting;
using Microsoft.Extensions.Logging.Console;

namespace GrpcSync.Server.Telemetry;

/// <summary>
/// JSON console logs: <c>GrpcSync:Logging:Json=true</c> switches the console to the built-in JSON formatter (one
/// object per line); the standard <c>Logging:Console:FormatterName=json</c> works too. Either way scopes are
/// included (a run's lines carry its ids, see <c>RunLogScope</c>) and timestamps are UTC, ISO 8601.
/// </summary>
public static class JsonLogs
{
    public static WebApplicationBuilder UseGrpcSyncLogging(this WebApplicationBuilder builder, GrpcSyncOptions options)
    {
        if (options.Logging.Json)
        {
            builder.Logging.AddJsonConsole();
        }
        // Also for the standard switch: a JSON line without the run's scope would lose its run id.
        builder.Services.Configure<JsonConsoleFormatterOptions>(json =>
        {
            json.IncludeScopes = true;
            json.UseUtcTimestamp = true;
            json.TimestampFormat = "yyyy-MM-dd'T'HH:mm:ss.fff'Z'";
        });
        return builder;
    }

    /// <summary>Whether the console writes JSON lines (by either switch).</summary>
    public static bool AreOn(IConfiguration configuration) =>
        configuration.GetValue<bool>("GrpcSync:Logging:Json")
        || string.Equals(configuration["Logging:Console:FormatterName"], ConsoleFormatterNames.Json, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// With JSON logs the start-up banner (plain text for a person) would break a log shipper's parsing: it becomes
    /// one log line. True when it did, so the banner is not printed.
    /// </summary>
    public static bool ReplacesBanner(WebApplication app, string rest, string grpc)
    {
        if (!AreOn(app.Configuration))
        {
            return false;
        }
        app.Logger.LogInformation("GrpcSync is running: REST (HTTP/1.1, JSON) {RestAddress}, gRPC (HTTP/2, h2c) {GrpcAddress}", rest, grpc);
        return true;
    }
}
