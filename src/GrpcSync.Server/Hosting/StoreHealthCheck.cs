using GrpcSync.Storage;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace GrpcSync.Server.Hosting;

/// <summary>Healthy when the store answers; used by GET /healthz and grpc.health.v1.Health.</summary>
public sealed class StoreHealthCheck(ISyncStore store) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        try
        {
            return await store.PingAsync(cancellationToken)
                ? HealthCheckResult.Healthy("store reachable")
                : HealthCheckResult.Unhealthy("store did not answer");
        }
        catch (Exception error)
        {
            return HealthCheckResult.Unhealthy("store unreachable", error);
        }
    }
}
