using System.Diagnostics;
using GrpcSync.Domain;
using GrpcSync.Server.Hosting;
using GrpcSync.Server.RateLimiting;
using Microsoft.Extensions.Options;

namespace GrpcSync.Bench;

/// <summary>
/// Figure 4, in-process: the per-caller rate limiter's own cost, the check every authenticated call makes
/// (<see cref="CallerRateLimiter.TryAcquire"/>), with limits so high that it never refuses, over as many callers
/// as the API figures use. Compared with gRPC GetSync in the ratios, it is the limiter's share of a call.
/// </summary>
public static class LimiterLoop
{
    public static LoadResult Run(int callers, TimeSpan warmup, TimeSpan duration)
    {
        var options = new GrpcSyncOptions();
        options.RateLimits.PermitsPerSecond = 1_000_000_000;
        options.RateLimits.Burst = 1_000_000_000;
        using var limiter = new CallerRateLimiter(Options.Create(options));
        var scopes = Enumerable.Range(0, callers).Select(i => new Scope(Plan.ProjectId, "bench-user-" + i)).ToArray();
        const int Batch = 1000; // one clock reading per batch: reading it per call would cost as much as the call
        var latencies = new List<double>();
        var clock = Stopwatch.StartNew();
        var refused = 0L;
        for (var i = 0; clock.Elapsed < warmup + duration; i++)
        {
            var started = clock.Elapsed;
            for (var j = 0; j < Batch; j++)
            {
                if (!limiter.TryAcquire(scopes[(i * Batch + j) % scopes.Length], out _))
                {
                    refused++;
                }
            }
            var ended = clock.Elapsed;
            if (started >= warmup)
            {
                var perCall = (ended - started).TotalMilliseconds / Batch;
                for (var j = 0; j < Batch; j++)
                {
                    latencies.Add(perCall);
                }
            }
        }
        return LoadResult.FromLatencies(latencies, duration.TotalSeconds, refused,
            $"in-process: 1 thread × CallerRateLimiter.TryAcquire over {callers} callers (limits 10^9/s, never refusing)");
    }
}
