using GrpcSync.Server.Telemetry;

namespace GrpcSync.Server.Hosting;

/// <summary>Builds the whole service; Program.cs and the tests share it.</summary>
public static class GrpcSyncApp
{
    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(args);
        configure?.Invoke(builder);
        var options = builder.Configuration.GetSection(GrpcSyncOptions.Section).Get<GrpcSyncOptions>() ?? new GrpcSyncOptions();
        builder.Services.Configure<GrpcSyncOptions>(builder.Configuration.GetSection(GrpcSyncOptions.Section));

        DevelopmentSetup.Apply(builder, options);
        builder.UseGrpcSyncPorts(options);
        builder.UseGrpcSyncLogging(options).AddGrpcSyncTelemetry(options);
        builder.Services
            .AddGrpcSyncStore(options)
            .AddGrpcSyncAuth(options)
            .AddGrpcSyncApi(options)
            .AddGrpcSyncEngineHost(builder.Configuration);

        var app = builder.Build();
        // Fail at start-up, not on the first call, when a project key is misconfigured.
        _ = app.Services.GetRequiredService<Auth.ProjectKeys>();
        app.UseGrpcSyncMetricsEndpoint(options); // before the API's middleware: no token, no error shape
        app.MapGrpcSyncApi(options);
        return app;
    }
}
