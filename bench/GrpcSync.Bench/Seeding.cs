using System.Buffers.Binary;
using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Grpc.Net.Client;
using GrpcSync.V1;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GrpcSync.Bench;

/// <summary>The bench project's RSA key: the server and the baseline get the public half, tokens are signed here.</summary>
public sealed class BenchKey : IDisposable
{
    private readonly RSA _rsa = RSA.Create(2048);

    public string WritePublicKey(string path)
    {
        File.WriteAllText(path, _rsa.ExportSubjectPublicKeyInfoPem());
        return path;
    }

    /// <summary>An RS256 user token: sub, iat, nbf, exp, aud = "&lt;host&gt;/&lt;project&gt;"; <paramref name="admin"/> adds <c>"role": "admin"</c> (webhooks, project streams).</summary>
    public string Token(string userId, TimeSpan lifetime, bool admin = false)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = userId };
        if (admin)
        {
            claims["role"] = "admin";
        }
        return new JsonWebTokenHandler().CreateToken(new SecurityTokenDescriptor
        {
            Audience = $"{Plan.AudienceHost}/{Plan.ProjectId}",
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(_rsa), SecurityAlgorithms.RsaSha256),
        });
    }

    public void Dispose() => _rsa.Dispose();
}

public sealed record BenchUser(int Index, string UserId, string Token)
{
    public string Bearer => "Bearer " + Token;
}

public sealed record BenchSync(string Id, BenchUser Owner);

/// <summary>The seeded data set: users (each with one filesystem credential) and their Syncs.</summary>
public sealed record SeedData(IReadOnlyList<BenchUser> Users, IReadOnlyList<BenchSync> Syncs)
{
    /// <summary>One Sync per h2load connection group, each of a different user (the first Sync of users 0..n-1).</summary>
    public IReadOnlyList<BenchSync> HotSet(int groups) =>
        Enumerable.Range(0, groups).Select(g => Syncs.First(s => s.Owner.Index == g)).ToList();
}

public static class Seeder
{
    /// <summary>
    /// Through the public gRPC API (Grpc.Net.Client): per user one credential (the filesystem
    /// connector, secret = a directory under the allowed root) and <paramref name="syncsPerUser"/>
    /// Syncs of pipeline "files", told apart by configurationName.
    /// </summary>
    public static async Task<SeedData> SeedAsync(string grpcAddress, BenchKey key, int users, int syncsPerUser, string credentialRoot)
    {
        using var channel = GrpcChannel.ForAddress(grpcAddress);
        var credentials = new CredentialService.CredentialServiceClient(channel);
        var syncs = new SyncService.SyncServiceClient(channel);
        var benchUsers = Enumerable.Range(0, users)
            .Select(i => new BenchUser(i, $"user-{i:D4}", key.Token($"user-{i:D4}", TimeSpan.FromHours(3))))
            .ToList();
        var seeded = new BenchSync[users * syncsPerUser];
        await Parallel.ForEachAsync(benchUsers, new ParallelOptions { MaxDegreeOfParallelism = 8 }, async (user, ct) =>
        {
            var headers = new Metadata { { "authorization", user.Bearer } };
            var credential = await credentials.CreateCredentialAsync(new CreateCredentialRequest
            {
                Integration = "filesystem", DisplayName = "bench", SecretText = credentialRoot,
            }, headers, cancellationToken: ct);
            for (var i = 0; i < syncsPerUser; i++)
            {
                var sync = await syncs.EnableSyncAsync(new EnableSyncRequest
                {
                    Integration = "filesystem",
                    Pipeline = "files",
                    Configuration = new Struct(),
                    ConfigurationName = $"c{i:D2}",
                    CredentialId = credential.Id,
                }, headers, cancellationToken: ct);
                // Syncs ordered user by user round-robin: the first n Syncs belong to n different users.
                seeded[i * users + user.Index] = new BenchSync(sync.Id, user);
            }
        });
        return new SeedData(benchUsers, seeded);
    }
}

/// <summary>Request bodies of native gRPC calls as files for h2load: the 5-byte frame prefix plus the protobuf bytes.</summary>
public static class GrpcBodies
{
    public static byte[] Frame(IMessage? message)
    {
        var payload = message?.ToByteArray() ?? [];
        var frame = new byte[5 + payload.Length];
        frame[0] = 0; // not compressed
        BinaryPrimitives.WriteUInt32BigEndian(frame.AsSpan(1, 4), (uint)payload.Length);
        payload.CopyTo(frame.AsSpan(5));
        return frame;
    }

    public static byte[] UpdateSync(string syncId, string frequency) =>
        Frame(new UpdateSyncRequest { SyncId = syncId, IncrementalAccumulatorFrequency = frequency });

    public static byte[] GetSync(string syncId) => Frame(new GetSyncRequest { SyncId = syncId });

    /// <summary>grpc.health.v1.HealthCheckRequest with service "" is the empty message.</summary>
    public static byte[] HealthCheck() => Frame(null);
}
