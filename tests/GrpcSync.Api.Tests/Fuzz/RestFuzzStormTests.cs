using System.Diagnostics;
using GrpcSync.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>
/// A seeded storm of bad REST requests on every route of the OpenAPI document (see <see cref="RestFuzzGenerator"/>),
/// against the real host. Bad input must get a clean 4xx in the API's error shape, never a 5xx, never an
/// Error log entry, and two victims' data must read back exactly as before. All failures are collected and
/// reported grouped, with the seed to replay them (<see cref="FuzzSeed"/>).
/// </summary>
[Collection(FuzzStormCollection.Name)]
public sealed class RestFuzzStormTests(FuzzServerFixture server, ITestOutputHelper output) : IClassFixture<FuzzServerFixture>
{
    /// <summary>The storm loop's share of the 45 s; set-up, the snapshots and the report take the rest.</summary>
    private static readonly TimeSpan StormBudget = TimeSpan.FromSeconds(30);

    private const int MaxCases = 6000;

    [Fact]
    public async Task BadRequestsOnEveryRoute_GetCleanClientErrors_LogNoErrors_AndChangeNoOnesData()
    {
        var seed = FuzzSeed.Resolve();
        output.WriteLine($"REST fuzz storm, {FuzzSeed.ReplayHint(seed)}");
        var victims = await VictimTenants.CreateAsync(server);
        var before = await victims.SnapshotAsync();
        var swagger = await server.Rest(HttpMethod.Get, "/swagger/v1/swagger.json");
        Assert.Equal(200, swagger.Status);
        var routes = OpenApiRoutes.Read(swagger.Body);
        Assert.True(routes.Count >= 10, $"The OpenAPI document lists only {routes.Count} routes.");
        var generator = new RestFuzzGenerator(routes, FuzzTokens.Create(server, victims), victims);

        var failures = new FuzzFailures();
        var perRoute = routes.ToDictionary(r => r.Label, _ => 0);
        var sentRaw = 0;
        var clock = Stopwatch.StartNew();
        var cases = 0;
        using (var sender = new RestFuzzSender(server.RestPort))
        {
            for (; cases < MaxCases && clock.Elapsed < StormBudget; cases++)
            {
                var fuzzCase = generator.Generate(seed, cases);
                server.Logs.CurrentCase = cases;
                var result = await sender.SendAsync(fuzzCase);
                perRoute[fuzzCase.Route]++;
                if (fuzzCase.Raw is not null || result.SentRawBecause is not null)
                {
                    sentRaw++;
                }
                foreach (var violation in RestResponseRules.Check(fuzzCase, result, victims))
                {
                    failures.Add(violation.Check, result.StatusLabel, fuzzCase.Kind, fuzzCase.Route,
                        fuzzCase.Describe() + (result.SentRawBecause is null ? "" : $"\n      (sent raw: {result.SentRawBecause})") + $"\n      → {violation.Detail}");
                }
            }
            await Task.Delay(250); // entries the last case logs after its answer
            server.Logs.CurrentCase = -1;
        }
        var stormTime = clock.Elapsed;

        foreach (var entry in server.Logs.ErrorsDuringStorm())
        {
            var fuzzCase = generator.Generate(seed, entry.FuzzCase);
            failures.Add("Error log entry", entry.Prefix + ": " + entry.Category, fuzzCase.Kind, fuzzCase.Route,
                $"{entry.FirstLine}\n      while {fuzzCase.Describe()}");
        }
        var changed = VictimTenants.Differences(before, await victims.SnapshotAsync());

        output.WriteLine($"{cases} cases in {stormTime.TotalSeconds:0.0} s ({sentRaw} sent as raw HTTP/1.1); per route: " +
                         string.Join(", ", perRoute.Select(r => $"{r.Key} {r.Value}")));
        var report = failures.Report($"REST fuzz storm, {FuzzSeed.ReplayHint(seed)}, {cases} cases");
        output.WriteLine(report);
        Assert.All(perRoute, r => Assert.True(r.Value > 0, $"The storm never reached {r.Key} ({cases} cases)."));
        Assert.True(changed.Length == 0, $"The victims' data changed during the storm ({FuzzSeed.ReplayHint(seed)}):\n{changed}\n{report}");
        Assert.True(failures.Count == 0, report);
    }
}
