using GrpcSync.Server.Auth;
using Microsoft.Extensions.Options;

namespace GrpcSync.Server.Hosting;

/// <summary>Tells a newcomer where the service listens and, in development, how to make the first call.</summary>
public static class StartupBanner
{
    public static void Print(WebApplication app)
    {
        var options = app.Services.GetRequiredService<IOptions<GrpcSyncOptions>>().Value;
        var rest = $"http://{Host(options)}:{options.RestPort}";
        var grpc = $"{Host(options)}:{options.GrpcPort}";
        if (Telemetry.JsonLogs.ReplacesBanner(app, rest, grpc))
        {
            return;
        }
        Console.WriteLine($"""

            GrpcSync is running ({options.Store.Provider} store)
              REST (HTTP/1.1, JSON):  {rest}/api/syncs      OpenAPI: {rest}/swagger/v1/swagger.json
              gRPC (HTTP/2, h2c):     {grpc}      reflection: {(options.EnableReflection ? "on" : "off")}   health: {rest}/healthz
            """);
        if (app.Services.GetService<DevelopmentKey>() is not { } key)
        {
            return;
        }
        var audienceHost = options.Auth.EffectiveAudienceHosts[0];
        var token = key.CreateToken("dev-user", audienceHost, TimeSpan.FromHours(12));
        var demo = DevelopmentSetup.DemoAccount(options);
        Console.WriteLine($$$"""

              Development project '{{{key.ProjectId}}}' (key: {{{key.KeyPath}}}). A token for user 'dev-user', valid 12 h:
                export TOKEN={{{token}}}
              More tokens: dotnet run --project src/GrpcSync.Server -- token --sub <user>
              First calls:
                curl -s -X POST {{{rest}}}/api/credentials -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
                  -d '{"integration":"filesystem","displayName":"Demo files","secret":"{{{demo}}}"}'
                curl -s -X POST {{{rest}}}/api/syncs -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
                  -d '{"integration":"filesystem","pipeline":"files","configuration":{}}'
                curl -s {{{rest}}}/api/syncs/<syncId>/records -H "Authorization: Bearer $TOKEN"
                curl -s -X PATCH {{{rest}}}/api/syncs/<syncId> -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' \
                  -d '{"incrementalAccumulatorFrequency":"5m"}'
                npx buf curl --protocol grpc --http2-prior-knowledge -H "Authorization: Bearer $TOKEN" \
                  -d '{"syncId":"<syncId>","incrementalAccumulatorFrequency":"1h"}' http://{{{grpc}}}/grpcsync.v1.SyncService/UpdateSync

            """);
    }

    private static string Host(GrpcSyncOptions options) =>
        options.ListenAddress is "0.0.0.0" or "::" ? "localhost" : options.ListenAddress;
}
