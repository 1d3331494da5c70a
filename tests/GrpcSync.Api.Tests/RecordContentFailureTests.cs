using System.Text.Json.Nodes;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Connectors;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests;

/// <summary>
/// A source that fails after some bytes have left (the <see cref="ScriptedConnector"/>): no error body can follow
/// bytes, so REST cuts the response short (shorter than its Content-Length) and gRPC ends with UNAVAILABLE.
/// </summary>
public abstract class RecordContentFailureTests(EngineServerFixture server) : EngineApiTest(server)
{
    public sealed class OnSqlite(SqliteEngineServer server) : RecordContentFailureTests(server), IClassFixture<SqliteEngineServer>;

    public sealed class OnPostgres(PostgresEngineServer server) : RecordContentFailureTests(server), IClassFixture<PostgresEngineServer>;

    private const int Announced = 1024 * 1024;
    private const int SentBeforeFailing = 200 * 1024;

    private async Task<(TestUser User, string SyncId, string RecordId)> SyncWhoseContentFailsMidStream()
    {
        var user = NewUser();
        var secret = "script-" + Guid.NewGuid().ToString("N");
        Server.Scripted.For(secret)
            .ServesRecords(new SourceRecord("file.bin", new JsonObject { ["name"] = "file.bin" }, "fp-1"))
            .ServesContent(() => new SourceContent("application/octet-stream", new FailingStream(SentBeforeFailing)) { Length = Announced });
        var credential = (await user.CreateCredential(Transport.Grpc, ScriptedConnector.Name, "Scripted", secret)).Ok();
        var sync = (await user.EnableSync(Transport.Grpc, new EnableSyncRequest
        {
            Integration = ScriptedConnector.Name,
            Pipeline = ScriptedConnector.Pipeline,
            Configuration = new Struct(),
            CredentialId = credential.Id,
            IncrementalAccumulatorFrequency = "1h",
        })).Ok();
        await WaitUntilIdle(user, sync.Id);
        var record = (await user.ListSyncedRecords(Transport.Grpc, sync.Id)).Ok().Data.ByExternalId("file.bin");
        return (user, sync.Id, record.Id());
    }

    [Fact]
    public async Task OverRest_TheResponseIsCutShort_NotCompletedWithAnErrorBody()
    {
        var (user, syncId, recordId) = await SyncWhoseContentFailsMidStream();
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/api/syncs/{syncId}/records/{recordId}/content");
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + user.Token);

        using var response = await Server.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal(200, (int)response.StatusCode);
        Assert.Equal(Announced, response.Content.Headers.ContentLength);
        await using var body = await response.Content.ReadAsStreamAsync();
        long received = 0;
        var error = await Assert.ThrowsAnyAsync<Exception>(async () =>
        {
            var buffer = new byte[64 * 1024];
            int read;
            while ((read = await body.ReadAsync(buffer)) > 0)
            {
                received += read;
            }
        });

        Assert.True(error is IOException or HttpRequestException, error.ToString());
        Assert.True(received < Announced, $"received {received} bytes");
    }

    [Fact]
    public async Task OverGrpc_TheStreamEndsUnavailable()
    {
        var (user, syncId, recordId) = await SyncWhoseContentFailsMidStream();

        var download = await user.DownloadContent(Transport.Grpc, syncId, recordId);

        Assert.Equal(StatusCode.Unavailable, download.Code);
        Assert.Equal("SOURCE_UNAVAILABLE", download.Failure!.Error!.Reason());
    }

    /// <summary>Yields <c>bytes</c> zero bytes, then fails as a broken source connection does.</summary>
    private sealed class FailingStream(int bytes) : Stream
    {
        private int _left = bytes;

        public override bool CanRead => true;
        public override bool CanSeek => false;
        public override bool CanWrite => false;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override int Read(byte[] buffer, int offset, int count)
        {
            if (_left == 0)
            {
                throw new IOException("The source connection broke.");
            }
            var n = Math.Min(count, _left);
            Array.Clear(buffer, offset, n);
            _left -= n;
            return n;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
