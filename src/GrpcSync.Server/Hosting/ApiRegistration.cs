using GrpcSync.Server.Api;
using GrpcSync.Server.Auth;
using GrpcSync.Server.Errors;
using GrpcSync.Server.Rest;
using Microsoft.OpenApi.Models;

namespace GrpcSync.Server.Hosting;

public static class ApiRegistration
{
    /// <summary>JWT auth per project (and the development key when configured).</summary>
    public static IServiceCollection AddGrpcSyncAuth(this IServiceCollection services, GrpcSyncOptions options)
    {
        if (options.Auth.GenerateDevelopmentKey)
        {
            services.AddSingleton(DevelopmentKey.LoadOrCreate(options.DataDirectory, options.Auth.DevelopmentProjectId));
        }
        services.AddSingleton(sp => new ProjectKeys(
            sp.GetRequiredService<Microsoft.Extensions.Options.IOptions<GrpcSyncOptions>>(), sp.GetService<DevelopmentKey>()));
        services.AddSingleton<TokenValidator>();
        services.AddSingleton<RateLimiting.CallerRateLimiter>();
        return services;
    }

    /// <summary>gRPC services with transcoding, reflection, health, OpenAPI, secret encryption and the records reads SyncApi serves.</summary>
    public static IServiceCollection AddGrpcSyncApi(this IServiceCollection services, GrpcSyncOptions options)
    {
        services.AddSingleton(TimeProvider.System);
        services.AddGrpcSyncDataProtection(options);

        services.AddGrpc(grpc =>
            {
                grpc.MaxReceiveMessageSize = options.Limits.MaxRequestBodyBytes;
                // Outermost first: authenticate, then map domain errors of the authenticated call.
                grpc.Interceptors.Add<AuthInterceptor>();
                grpc.Interceptors.Add<DomainErrorInterceptor>();
            })
            .AddJsonTranscoding(transcoding =>
            {
                transcoding.JsonSettings.RemoveEnumPrefix = true;      // "IDLE", not "SYNC_STATUS_IDLE"
                transcoding.JsonSettings.WriteInt64sAsStrings = false; // totalRecords is a JSON number
                transcoding.TypeRegistry = RpcErrors.DetailTypes;      // render BadRequest/ErrorInfo details
            });
        if (options.EnableReflection)
        {
            services.AddGrpcReflection();
        }
        services.AddSingleton<RecordsApi>();
        services.AddSingleton<RecordContentApi>();
        services.AddSingleton<EventsApi>();
        services.AddSingleton<SyncEventStream>();
        services.AddSingleton<WebhookUrlCheck>();
        services.AddGrpcHealthChecks();
        services.AddGrpcSwagger();
        services.AddSwaggerGen(swagger => swagger.SwaggerDoc("v1", new OpenApiInfo
        {
            Title = "GrpcSync",
            Version = "v1",
            Description = "The Sync API (JSON transcoding of protos/grpcsync/v1). Every call needs 'Authorization: Bearer <user token>'.",
        }));
        return services;
    }

    /// <summary>Maps the endpoints; the REST facade and gRPC share them (transcoded routes answer on both ports).</summary>
    public static WebApplication MapGrpcSyncApi(this WebApplication app, GrpcSyncOptions options)
    {
        // Outermost first: every REST error leaves in one shape; oversized requests stop before any work;
        // then, knowing the route, the body's declared encoding and its JSON shape are checked.
        app.UseMiddleware<ErrorShapeMiddleware>();
        app.UseMiddleware<RequestLimitsMiddleware>();
        app.UseRouting();
        app.UseMiddleware<RequestContentMiddleware>();
        app.UseMiddleware<JsonBodyMiddleware>();
        app.UseMiddleware<GrpcWire.GrpcRequestFramingMiddleware>();
        app.UseSwagger();
        app.MapGrpcService<SyncApi>();
        app.MapGrpcService<CredentialApi>();
        app.MapGrpcService<WebhookApi>();
        app.MapGrpcService<ProjectEventsApi>();
        app.MapGrpcHealthChecksService();
        if (options.EnableReflection)
        {
            app.MapGrpcReflectionService();
        }
        app.MapHealthChecks("/healthz");
        return app;
    }
}
