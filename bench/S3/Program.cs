// GrpcSync.S3Bench: content streaming of one large object from a real s3rver through the real server's content
// endpoint, then an INITIAL sync of N objects and an INCREMENTAL run with 1 % of the objects changed.
// See bench/S3/README.md.
using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using Amazon.Runtime;
using Amazon.S3;
using Amazon.S3.Model;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcSync.Testing.Processes;
using GrpcSync.V1;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

const string AudienceHost = "bench.local";
const string ProjectId = "bench-project";

var objects = 10_000;
var contentMiB = 512;
var contentRepeats = 2;
int? heapLimitMiB = null;
var label = "latest";
for (var i = 0; i < args.Length; i++)
{
    switch (args[i])
    {
        case "--smoke":
            objects = 300;
            contentMiB = 8;
            label = "smoke";
            break;
        case "--content-repeats" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var r) && r > 0:
            contentRepeats = r;
            i++;
            break;
        case "--gc-heap-limit-mib" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var h) && h > 0:
            heapLimitMiB = h; // the server's DOTNET_GCHeapHardLimit: shows whether RSS growth is the GC's budget or kept memory
            i++;
            break;
        case "--content-mib" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var m) && m > 0:
            contentMiB = m;
            i++;
            break;
        case "--objects" when i + 1 < args.Length && int.TryParse(args[i + 1], CultureInfo.InvariantCulture, out var n) && n > 0:
            objects = n;
            i++;
            break;
        case "--label" when i + 1 < args.Length:
            label = args[++i];
            break;
        default:
            Console.Error.WriteLine("usage: bench/S3/run.sh [--smoke] [--objects N] [--content-mib N] [--content-repeats N] [--gc-heap-limit-mib N] [--label NAME]");
            return 2;
    }
}

var work = Directory.CreateTempSubdirectory("grpcsync-s3bench-").FullName;
await using var s3 = await S3rverProcess.StartAsync();
using var rsa = RSA.Create(2048);
var publicKey = Path.Combine(work, "bench-public.pem");
File.WriteAllText(publicKey, rsa.ExportSubjectPublicKeyInfoPem());

// ---- Fill the bucket (100 "directories", small objects), through the AWS SDK ----
using var setup = new AmazonS3Client(new BasicAWSCredentials(S3rverProcess.AccessKeyId, S3rverProcess.SecretAccessKey),
    new AmazonS3Config
    {
        ServiceURL = s3.Endpoint.ToString(), ForcePathStyle = true, AuthenticationRegion = "us-east-1",
        RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED, // s3rver stores aws-chunked bodies as sent
    });
const string Bucket = "bench";
await setup.PutBucketAsync(new PutBucketRequest { BucketName = Bucket });
const string ContentBucket = "bench-content";
const string ContentKey = "large/content.bin";
await setup.PutBucketAsync(new PutBucketRequest { BucketName = ContentBucket });
var contentFile = Path.Combine(work, "content.bin");
var contentBytes = (long)contentMiB * 1024 * 1024;
var contentSha256 = ContentFile.Write(contentFile, contentBytes);
await setup.PutObjectAsync(new PutObjectRequest { BucketName = ContentBucket, Key = ContentKey, FilePath = contentFile, UseChunkEncoding = false });
File.Delete(contentFile);
string Key(int i) => $"d{i % 100:D2}/object-{i:D7}.txt";
async Task PutAll(IEnumerable<int> indexes, string version)
{
    await Parallel.ForEachAsync(indexes, new ParallelOptions { MaxDegreeOfParallelism = 16 }, async (i, ct) =>
        await setup.PutObjectAsync(new PutObjectRequest { BucketName = Bucket, Key = Key(i), ContentBody = $"{version} {i}\n", UseChunkEncoding = false }, ct));
}
var fill = Stopwatch.StartNew();
await PutAll(Enumerable.Range(0, objects), "v1");
Console.WriteLine($"filled s3rver with {objects:N0} objects in {fill.Elapsed.TotalSeconds:0.0} s");

// ---- The server ----
var serverEnvironment = new Dictionary<string, string>
{
    ["GrpcSync__DataDirectory"] = Path.Combine(work, "data"),
    ["GrpcSync__Auth__AudienceHosts__0"] = AudienceHost,
    [$"GrpcSync__Auth__Projects__{ProjectId}__PublicKeyFile"] = publicKey,
    ["GrpcSync__Connectors__S3__AllowedEndpoints__0"] = s3.Endpoint.ToString(),
    ["GrpcSync__RateLimits__Enabled"] = "false",
};
if (heapLimitMiB is { } limit)
{
    serverEnvironment["DOTNET_GCHeapHardLimit"] = "0x" + ((long)limit * 1024 * 1024).ToString("X", CultureInfo.InvariantCulture);
}
var server = await ServerProcess.StartAsync(new ServerProcessOptions { Environment = serverEnvironment });
var now = DateTime.UtcNow;
var token = new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
{
    Audience = $"{AudienceHost}/{ProjectId}", IssuedAt = now, NotBefore = now, Expires = now.AddHours(3),
    Claims = new Dictionary<string, object> { ["sub"] = "bench-user" },
    SigningCredentials = new SigningCredentials(new RsaSecurityKey(rsa), SecurityAlgorithms.RsaSha256),
});
var headers = new Metadata { { "authorization", "Bearer " + token } };
using var channel = GrpcChannel.ForAddress(server.GrpcBaseAddress);
var credentials = new CredentialService.CredentialServiceClient(channel);
var syncs = new SyncService.SyncServiceClient(channel);
var changed = Math.Max(1, objects / 100);
CreateCredentialRequest S3Credential() => new()
{
    Integration = "s3", DisplayName = "bench",
    Secret = Value.ForStruct(new Struct
    {
        Fields =
        {
            ["accessKeyId"] = Value.ForString(S3rverProcess.AccessKeyId), ["secretAccessKey"] = Value.ForString(S3rverProcess.SecretAccessKey),
            ["region"] = Value.ForString("us-east-1"), ["endpoint"] = Value.ForString(s3.Endpoint.ToString()),
        },
    }),
};
var credential = await credentials.CreateCredentialAsync(S3Credential(), headers);

// ---- Content streaming: one large object through GET …/records/{id}/content (REST), before any other Sync ----
var contentSync = await syncs.EnableSyncAsync(new EnableSyncRequest
{
    Integration = "s3", Pipeline = "files", CredentialId = credential.Id, IncrementalAccumulatorFrequency = "1h",
    ConfigurationName = "content", // a second Sync of s3/files for the same user
    Configuration = new Struct { Fields = { ["bucket"] = Value.ForString(ContentBucket) } },
}, headers);
while ((await syncs.GetSyncAsync(new GetSyncRequest { SyncId = contentSync.Id }, headers)) is var s && !(s.Status == SyncStatus.Idle && s.Summary.LastSyncedAt is not null))
{
    if (s.Status == SyncStatus.Errored)
    {
        Console.Error.WriteLine($"bench FAILED: the content Sync is ERRORED: {s.Reason}");
        return 1;
    }
    await Task.Delay(100);
}
var contentRecords = await syncs.ListSyncedRecordsAsync(new ListSyncedRecordsRequest { SyncId = contentSync.Id }, headers);
var contentRecordId = contentRecords.Data.Single(r => r.Fields["externalId"].StringValue == ContentKey).Fields["id"].StringValue;
var contentPath = $"api/syncs/{contentSync.Id}/records/{contentRecordId}/content";
// Repeated: later downloads show whether the first one's growth was warm-up (pools, GC budgets) or kept memory.
var downloads = new List<ContentStream>();
for (var i = 0; i < contentRepeats; i++)
{
    downloads.Add(await ContentStream.MeasureAsync(server, token, contentPath));
}
var streamed = downloads[0];
foreach (var download in downloads)
{
    if (download.Bytes != contentBytes || !download.Sha256.SequenceEqual(contentSha256))
    {
        Console.Error.WriteLine($"bench FAILED: streamed {download.Bytes} bytes (SHA-256 {(download.Sha256.SequenceEqual(contentSha256) ? "equal" : "differs")}), expected {contentBytes}.");
        return 1;
    }
}

// ---- INITIAL and INCREMENTAL, with each new or changed object's HEAD (the default), then without on a second server ----
var withHeads = await MeasureSyncsAsync(server, token, "v2");
if (withHeads is null)
{
    return 1;
}
var rssIdle = withHeads.RssIdle;
await server.DisposeAsync();
serverEnvironment["GrpcSync__DataDirectory"] = Path.Combine(work, "data-no-metadata");
serverEnvironment["GrpcSync__Connectors__S3__ReadObjectMetadata"] = "false";
await using var listingOnlyServer = await ServerProcess.StartAsync(new ServerProcessOptions { Environment = serverEnvironment });
var listingOnly = await MeasureSyncsAsync(listingOnlyServer, token, "v3");
if (listingOnly is null)
{
    return 1;
}

// One Sync on the objects' bucket: its INITIAL run until IDLE, then one INCREMENTAL with 1 % of the objects overwritten.
async Task<SyncFigures?> MeasureSyncsAsync(ServerProcess host, string bearer, string changeVersion)
{
    var callHeaders = new Metadata { { "authorization", "Bearer " + bearer } };
    using var hostChannel = GrpcChannel.ForAddress(host.GrpcBaseAddress);
    var hostCredentials = new CredentialService.CredentialServiceClient(hostChannel);
    var hostSyncs = new SyncService.SyncServiceClient(hostChannel);
    var idle = ProcStats.Rss(host.ProcessId);
    var hostCredential = await hostCredentials.CreateCredentialAsync(S3Credential(), callHeaders);
    var peak = idle;
    var initialTime = Stopwatch.StartNew();
    var sync = await hostSyncs.EnableSyncAsync(new EnableSyncRequest
    {
        Integration = "s3", Pipeline = "files", CredentialId = hostCredential.Id, IncrementalAccumulatorFrequency = "1h",
        Configuration = new Struct { Fields = { ["bucket"] = Value.ForString(Bucket) } },
    }, callHeaders);
    Sync state;
    while (true)
    {
        state = await hostSyncs.GetSyncAsync(new GetSyncRequest { SyncId = sync.Id }, callHeaders);
        peak = Math.Max(peak, ProcStats.Rss(host.ProcessId));
        if (state.Status == SyncStatus.Errored)
        {
            Console.Error.WriteLine($"bench FAILED: the Sync is ERRORED: {state.Reason}");
            return null;
        }
        if (state.Status == SyncStatus.Idle && state.Summary.LastSyncedAt is not null)
        {
            break;
        }
        await Task.Delay(100);
    }
    initialTime.Stop();
    var total = state.Summary.TotalRecords;
    if (total != objects + 100)
    {
        Console.Error.WriteLine($"bench FAILED: {total} records, expected {objects + 100} ({objects} objects + 100 folders).");
        return null;
    }

    await PutAll(Enumerable.Range(0, changed).Select(i => i * 100 % objects), changeVersion);
    var incrementalTime = Stopwatch.StartNew();
    var run = await hostSyncs.TriggerSyncAsync(new TriggerSyncRequest { SyncId = sync.Id, Type = SyncRunType.Incremental }, callHeaders);
    SyncRun? finished = null;
    while (finished is null)
    {
        var page = await hostSyncs.ListSyncRunsAsync(new ListSyncRunsRequest { SyncId = sync.Id, PageSize = 10 }, callHeaders);
        finished = page.Runs.FirstOrDefault(r => r.Id == run.Id && r.State is SyncRunState.Succeeded or SyncRunState.Failed or SyncRunState.Cancelled);
        peak = Math.Max(peak, ProcStats.Rss(host.ProcessId));
        await Task.Delay(50);
    }
    incrementalTime.Stop();
    if (finished.State != SyncRunState.Succeeded)
    {
        Console.Error.WriteLine($"bench FAILED: the incremental run ended {finished}");
        return null;
    }
    return new SyncFigures(total, initialTime.Elapsed, incrementalTime.Elapsed, idle, peak);
}

static string Mib(long bytes) => (bytes / (1024.0 * 1024.0)).ToString("0", CultureInfo.InvariantCulture);
var report = $"""
    # S3 connector bench ({label}, {DateTime.UtcNow:yyyy-MM-dd})

    {objects:N0} objects in 100 prefixes on s3rver (same machine), SQLite store, one Sync; before it, one
    {contentMiB:N0} MiB object streamed through `GET …/records/(id)/content` (REST, read and hashed by the client){(heapLimitMiB is { } l ? $"; server GC heap limited to {l} MiB" : "")}.

    | figure | result |
    |---|---:|
    | content streaming {contentMiB:N0} MiB: time · MiB/s | {streamed.Elapsed.TotalSeconds:0.0} s · {contentMiB / streamed.Elapsed.TotalSeconds:N0} |
    | content streaming: server RSS before · peak during · after (VmHWM since start) | {Mib(streamed.RssBefore)} MiB · {Mib(streamed.RssPeak)} MiB · {Mib(streamed.RssAfter)} MiB ({Mib(streamed.PeakSinceStart)} MiB) |
    | the same object {contentRepeats} times in a row: MiB/s each · RSS peak during each | {string.Join(" · ", downloads.Select(d => (contentMiB / d.Elapsed.TotalSeconds).ToString("N0", CultureInfo.InvariantCulture)))} MiB/s; {string.Join(" · ", downloads.Select(d => Mib(d.RssPeak)))} MiB |
    | INITIAL sync: records ({objects:N0} objects + 100 folders) | {withHeads.Records:N0} |
    | INITIAL sync: time · records/s | {withHeads.Initial.TotalSeconds:0.0} s · {withHeads.Records / withHeads.Initial.TotalSeconds:N0} |
    | INCREMENTAL, {changed:N0} objects (1 %) changed: time | {withHeads.Incremental.TotalSeconds:0.0} s |
    | server RSS idle · peak | {Mib(rssIdle)} MiB · {Mib(withHeads.RssPeak)} MiB |
    | without object HEADs (`ReadObjectMetadata=false`, second server, same bucket): INITIAL · INCREMENTAL | {listingOnly.Initial.TotalSeconds:0.0} s · {listingOnly.Incremental.TotalSeconds:0.0} s |
    | cost of the HEADs: INITIAL time with / without · INCREMENTAL with / without | {withHeads.Initial / listingOnly.Initial:0.00} · {withHeads.Incremental / listingOnly.Incremental:0.00} |

    """;
Console.WriteLine(report);
var results = Path.Combine(RepoPaths.RepoRoot, "bench", "S3", "results");
Directory.CreateDirectory(results);
File.WriteAllText(Path.Combine(results, label + ".md"), report);
try
{
    Directory.Delete(work, recursive: true);
}
catch (IOException)
{
    // best effort
}
return 0;

/// <summary>One server's INITIAL and INCREMENTAL figures.</summary>
internal sealed record SyncFigures(long Records, TimeSpan Initial, TimeSpan Incremental, long RssIdle, long RssPeak);
