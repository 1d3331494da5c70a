using System.Diagnostics;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using Xunit.Abstractions;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>
/// A seeded storm of bad gRPC calls on the gRPC port (see <see cref="GrpcFuzzGenerator"/>): through
/// Grpc.Net.Client for status-level checks, and as raw HTTP/2 frames for what the client will not send.
/// Bad input must never get UNKNOWN, INTERNAL or DATA_LOSS, an HTTP 5xx, an internal reset or an unexpected
/// GOAWAY, nor produce an Error log entry; two victims' data must read back unchanged.
/// </summary>
[Collection(FuzzStormCollection.Name)]
public sealed class GrpcFuzzStormTests(FuzzServerFixture server, ITestOutputHelper output) : IClassFixture<FuzzServerFixture>
{
    /// <summary>The storm loop's share of the 15 s; set-up, the snapshots and the report take the rest.</summary>
    private static readonly TimeSpan StormBudget = TimeSpan.FromSeconds(9);

    private static readonly TimeSpan RawAnswerTimeout = TimeSpan.FromSeconds(3);

    private const int MaxCases = 400;

    private static readonly Marshaller<byte[]> Bytes = Marshallers.Create(b => b, b => b);

    [Fact]
    public async Task BadCallsAndBrokenFrames_NeverLookLikeServerFaults_LogNoErrors_AndChangeNoOnesData()
    {
        var seed = FuzzSeed.Resolve();
        output.WriteLine($"gRPC fuzz storm, {FuzzSeed.ReplayHint(seed)}");
        var victims = await VictimTenants.CreateAsync(server);
        var before = await victims.SnapshotAsync();
        var generator = new GrpcFuzzGenerator(server.GrpcPort, FuzzTokens.Create(server, victims), victims);
        var invoker = server.Channel.CreateCallInvoker();

        var failures = new FuzzFailures();
        var clock = Stopwatch.StartNew();
        var cases = 0;
        var raw = 0;
        for (; cases < MaxCases && clock.Elapsed < StormBudget; cases++)
        {
            var fuzzCase = generator.Generate(seed, cases);
            server.Logs.CurrentCase = cases;
            var caseStarted = clock.Elapsed;
            GrpcFuzzResult result;
            if (fuzzCase.Frames is null)
            {
                result = await CallAsync(invoker, fuzzCase);
            }
            else
            {
                raw++;
                result = await ExchangeAsync(fuzzCase);
            }
            if (clock.Elapsed - caseStarted > TimeSpan.FromMilliseconds(500))
            {
                output.WriteLine($"slow ({(clock.Elapsed - caseStarted).TotalMilliseconds:0} ms): {fuzzCase.Kind} → {result.StatusLabel} {result.Raw}");
            }
            foreach (var violation in GrpcAnswerRules.Check(fuzzCase, result, victims))
            {
                failures.Add(violation.Check, result.StatusLabel, fuzzCase.Kind, fuzzCase.Path, fuzzCase.Describe() + $"\n      → {violation.Detail}");
            }
        }
        await Task.Delay(250); // entries the last case logs after its answer
        server.Logs.CurrentCase = -1;
        var stormTime = clock.Elapsed;

        foreach (var entry in server.Logs.ErrorsDuringStorm())
        {
            var fuzzCase = generator.Generate(seed, entry.FuzzCase);
            failures.Add("Error log entry", entry.Prefix + ": " + entry.Category, fuzzCase.Kind, fuzzCase.Path, $"{entry.FirstLine}\n      while {fuzzCase.Describe()}");
        }
        var changed = VictimTenants.Differences(before, await victims.SnapshotAsync());

        output.WriteLine($"{cases} cases in {stormTime.TotalSeconds:0.0} s ({raw} as raw HTTP/2 exchanges)");
        var report = failures.Report($"gRPC fuzz storm, {FuzzSeed.ReplayHint(seed)}, {cases} cases");
        output.WriteLine(report);
        Assert.True(cases >= GrpcFuzzGenerator.Kinds.Count, $"Only {cases} cases ran in {StormBudget.TotalSeconds:0} s; not every kind was tried once.");
        Assert.True(changed.Length == 0, $"The victims' data changed during the storm ({FuzzSeed.ReplayHint(seed)}):\n{changed}\n{report}");
        Assert.True(failures.Count == 0, report);
    }

    private static async Task<GrpcFuzzResult> CallAsync(CallInvoker invoker, GrpcFuzzCase fuzzCase)
    {
        var slash = fuzzCase.Path.LastIndexOf('/');
        var method = new Method<byte[], byte[]>(MethodType.Unary, fuzzCase.Path[1..slash], fuzzCase.Path[(slash + 1)..], Bytes, Bytes);
        var headers = new Metadata();
        if (fuzzCase.Authorization is not null)
        {
            headers.Add("authorization", fuzzCase.Authorization);
        }
        foreach (var entry in fuzzCase.Metadata)
        {
            if (entry.Bytes is not null)
            {
                headers.Add(entry.Key, entry.Bytes);
            }
            else
            {
                headers.Add(entry.Key, entry.Text!);
            }
        }
        try
        {
            var response = await invoker.AsyncUnaryCall(method, null, new CallOptions(headers, DateTime.UtcNow + fuzzCase.Deadline), fuzzCase.Payload ?? []);
            return new GrpcFuzzResult(StatusCode.OK, null, false, response, null);
        }
        catch (RpcException error)
        {
            // A status the client made up itself (it could not send, or gave up at the deadline) carries the local exception.
            var clientSide = error.Status.DebugException is not null && error.StatusCode != StatusCode.DeadlineExceeded && error.StatusCode != StatusCode.Cancelled;
            var detail = error.Status.Detail + (error.Status.DebugException is { } local ? $" ({local.GetType().Name}: {local.Message})" : "");
            return new GrpcFuzzResult(error.StatusCode, detail, clientSide, [], null);
        }
    }

    private async Task<GrpcFuzzResult> ExchangeAsync(GrpcFuzzCase fuzzCase)
    {
        using var cancel = new CancellationTokenSource(RawAnswerTimeout);
        Http2Answer answer;
        try
        {
            await using var client = await RawHttp2Client.ConnectAsync(server.GrpcPort, cancel.Token);
            var reading = client.ReadAnswerAsync(fuzzCase.StreamId, RawAnswerTimeout);
            try
            {
                foreach (var frame in fuzzCase.Frames!)
                {
                    await client.WriteFrameAsync(frame, cancel.Token);
                }
            }
            catch (IOException)
            {
                // The server may answer (GOAWAY, 431, reset) and close before taking every frame: the reader has what it said.
            }
            answer = await reading;
        }
        catch (Exception error) when (error is IOException or System.Net.Sockets.SocketException or OperationCanceledException)
        {
            answer = new Http2Answer { TransportError = $"{error.GetType().Name}: {error.Message}" };
        }
        return new GrpcFuzzResult(null, null, false, answer.Data.ToArray(), answer);
    }
}
