using System.Buffers.Binary;
using System.Net.Http.Headers;
using Google.Protobuf;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Edge;

/// <summary>
/// Hand-made gRPC requests on the gRPC port (HTTP/2, h2c): a malformed request is the caller's error
/// (INVALID_ARGUMENT, UNIMPLEMENTED, RESOURCE_EXHAUSTED), never INTERNAL or UNKNOWN, and logs no error.
/// </summary>
public abstract class GrpcFramingTests(EdgeServerFixture server)
{
    public sealed class OnSqlite(SqliteEdgeServer server) : GrpcFramingTests(server), IClassFixture<SqliteEdgeServer>;

    public sealed class OnPostgres(PostgresEdgeServer server) : GrpcFramingTests(server), IClassFixture<PostgresEdgeServer>;

    private const string GetSync = "/grpcsync.v1.SyncService/GetSync";

    private static byte[] Frame(byte flag, uint declaredLength, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        frame[0] = flag;
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1), declaredLength);
        payload.CopyTo(frame, 5);
        return frame;
    }

    private static byte[] Message(IMessage message) => Frame(0, (uint)message.CalculateSize(), message.ToByteArray());

    private async Task<(int GrpcStatus, string Message)> Call(string path, byte[] body, string? token = null,
        HttpMethod? method = null, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method ?? HttpMethod.Post, path)
        {
            Content = new ByteArrayContent(body),
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        request.Headers.TryAddWithoutValidation("te", "trailers");
        request.Headers.TryAddWithoutValidation("authorization", "Bearer " + (token ?? server.NewUser().Token));
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }
        using var response = await server.Http2.SendAsync(request);
        Assert.Equal(200, (int)response.StatusCode);
        _ = await response.Content.ReadAsByteArrayAsync(); // trailers arrive after the body
        var status = Header(response, "grpc-status") ?? throw new Xunit.Sdk.XunitException("no grpc-status");
        return (int.Parse(status, System.Globalization.CultureInfo.InvariantCulture), Uri.UnescapeDataString(Header(response, "grpc-message") ?? ""));
    }

    private static string? Header(HttpResponseMessage response, string name) =>
        response.TrailingHeaders.TryGetValues(name, out var trailer) ? trailer.First()
        : response.Headers.TryGetValues(name, out var header) ? header.First() : null;

    public static TheoryData<string, byte[]> Malformed => new()
    {
        { "no message at all", [] },
        { "a prefix cut short", [0, 0, 0] },
        { "a length longer than the data", Frame(0, 16, [1, 2, 3]) },
        { "bytes after the message", [.. Message(new GetSyncRequest { SyncId = "x" }), 0, 0] },
        { "compressed without grpc-encoding", Frame(1, 3, [1, 2, 3]) },
        { "a compressed flag that is neither 0 nor 1", Frame(7, 0, []) },
        { "bytes that are not a GetSyncRequest", Frame(0, 3, [0xff, 0xff, 0xff]) },
        { "a string field that is not UTF-8", Frame(0, 4, [0x0a, 0x02, 0xc3, 0x28]) },
    };

    [Theory, MemberData(nameof(Malformed))]
    public async Task AMalformedRequest_IsInvalidArgument(string what, byte[] body)
    {
        var (status, message) = await Call(GetSync, body);
        Assert.True(status == 3, $"{what}: grpc-status {status} ({message})");
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task ACorruptGzipMessage_IsInvalidArgument()
    {
        var (status, _) = await Call(GetSync, Frame(1, 3, [1, 2, 3]), headers: ("grpc-encoding", "gzip"));
        Assert.Equal(3, status);
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task AWellFormedGzipMessage_IsServed()
    {
        var user = server.NewUser();
        var sync = await user.NewSync();
        using var compressed = new MemoryStream();
        await using (var gzip = new System.IO.Compression.GZipStream(compressed, System.IO.Compression.CompressionLevel.Fastest, leaveOpen: true))
        {
            new GetSyncRequest { SyncId = sync.Id }.WriteTo(gzip);
        }
        var (status, message) = await Call(GetSync, Frame(1, (uint)compressed.Length, compressed.ToArray()), user.Token, headers: ("grpc-encoding", "gzip"));
        Assert.True(status == 0, message);
    }

    [Fact]
    public async Task AMessageOverTheLimit_IsResourceExhausted()
    {
        var (status, _) = await Call("/grpcsync.v1.CredentialService/CreateCredential", Frame(0, 2 * 1024 * 1024, new byte[64]));
        Assert.Equal(8, status);
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task ALengthPrefixOf4GiB_IsResourceExhausted()
    {
        var (status, _) = await Call(GetSync, [0, 0xff, 0xff, 0xff, 0xff, 1, 2]);
        Assert.Equal(8, status);
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task AConfigurationWithAValueOfNoKind_IsInvalidArgument()
    {
        var user = server.NewUser();
        await user.NewCredential();
        var request = new EnableSyncRequest { Integration = "googledrive", Pipeline = "files", Configuration = new Google.Protobuf.WellKnownTypes.Struct() };
        request.Configuration.Fields["folder"] = new Google.Protobuf.WellKnownTypes.Value(); // no kind: has no JSON form
        request.Configuration.Fields["ratio"] = Google.Protobuf.WellKnownTypes.Value.ForNumber(double.NaN);
        var (status, message) = await Call("/grpcsync.v1.SyncService/EnableSync", Message(request), user.Token);
        Assert.True(status == 3, message);
        Assert.Contains("configuration.", message);
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task AnUnknownMethodOrAGet_IsUnimplemented()
    {
        Assert.Equal(12, (await Call("/grpcsync.v1.SyncService/Nope", Frame(0, 0, []))).GrpcStatus);
        Assert.Equal(12, (await Call("/nope.v1.Nothing/Here", Frame(0, 0, []))).GrpcStatus);
        using var request = new HttpRequestMessage(HttpMethod.Get, GetSync)
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
            Content = new ByteArrayContent([]),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/grpc");
        using var response = await server.Http2.SendAsync(request);
        Assert.Equal("12", Header(response, "grpc-status"));
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task GarbageTimeoutAndMetadata_DoNotBreakTheCall()
    {
        var user = server.NewUser();
        var sync = await user.NewSync();
        var (status, message) = await Call(GetSync, Message(new GetSyncRequest { SyncId = sync.Id }), user.Token, null,
            ("grpc-timeout", "garbage"), ("x-odd-bin", "!!not base64!!"), ("x-big", new string('m', 8000)));
        Assert.True(status == 0, message);
        server.Logs.AssertNoErrors();
    }

    [Fact]
    public async Task AWellFormedRequest_StillWorks_AfterTheChecks()
    {
        var user = server.NewUser();
        var sync = await user.NewSync();
        Assert.Equal(0, (await Call(GetSync, Message(new GetSyncRequest { SyncId = sync.Id }), user.Token)).GrpcStatus);
        var (status, _) = await Call(GetSync, Message(new GetSyncRequest { SyncId = Guid.NewGuid().ToString() }), user.Token);
        Assert.Equal(5, status);
    }
}
