using System.Security.Cryptography;
using System.Text;

namespace GrpcSync.Domain;

/// <summary>Version 5 (SHA-1, name-based) UUIDs as in RFC 9562: the same name always gives the same id.</summary>
public static class NameBasedGuid
{
    /// <summary>Namespace of Sync ids (a fixed random UUID owned by GrpcSync).</summary>
    public static readonly Guid SyncNamespace = new("6f1c1f2e-7a51-4d8e-9a8c-2b7f3c6d9e01");

    /// <summary>Namespace of record ids (name: sync id + external id).</summary>
    public static readonly Guid RecordNamespace = new("a3d5b7c9-1e2f-4a6b-8c0d-e1f2a3b4c5d6");

    public static Guid Create(Guid ns, string name)
    {
        Span<byte> nsBytes = stackalloc byte[16];
        ns.TryWriteBytes(nsBytes, bigEndian: true, out _);
        var nameBytes = Encoding.UTF8.GetBytes(name);
        var input = new byte[16 + nameBytes.Length];
        nsBytes.CopyTo(input);
        nameBytes.CopyTo(input, 16);
        Span<byte> hash = stackalloc byte[20];
        SHA1.HashData(input, hash);
        hash[6] = (byte)((hash[6] & 0x0F) | 0x50); // version 5
        hash[8] = (byte)((hash[8] & 0x3F) | 0x80); // RFC 4122 variant
        return new Guid(hash[..16], bigEndian: true);
    }

    /// <summary>The stable id of a record: the same source item keeps its id across runs and credentials.</summary>
    public static Guid ForRecord(Guid syncId, string externalId) =>
        Create(RecordNamespace, syncId.ToString("D") + "\n" + externalId);

    /// <summary>The deterministic id of a Sync: project, user, integration, pipeline and configuration name.</summary>
    public static Guid ForSync(Scope scope, string integration, string pipeline, string configurationName) =>
        Create(SyncNamespace, string.Join('\n', scope.ProjectId, scope.UserId, integration, pipeline, configurationName));
}
