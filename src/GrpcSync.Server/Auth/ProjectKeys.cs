using System.Security.Cryptography;
using GrpcSync.Server.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.Tokens;

namespace GrpcSync.Server.Auth;

/// <summary>The RSA public key of each configured project, loaded once at start-up.</summary>
public sealed class ProjectKeys
{
    private readonly Dictionary<string, RsaSecurityKey> _keys = new(StringComparer.Ordinal);

    public ProjectKeys(IOptions<GrpcSyncOptions> options, DevelopmentKey? developmentKey = null)
    {
        foreach (var (projectId, project) in options.Value.Auth.Projects)
        {
            var pem = project.PublicKeyPem;
            if (string.IsNullOrWhiteSpace(pem) && !string.IsNullOrWhiteSpace(project.PublicKeyFile))
            {
                pem = File.ReadAllText(project.PublicKeyFile);
            }
            if (string.IsNullOrWhiteSpace(pem))
            {
                throw new InvalidOperationException(
                    $"Project '{projectId}' has neither PublicKeyPem nor PublicKeyFile (GrpcSync:Auth:Projects:{projectId}).");
            }
            var rsa = RSA.Create();
            rsa.ImportFromPem(pem);
            _keys[projectId] = new RsaSecurityKey(rsa) { KeyId = projectId };
        }
        if (developmentKey is not null && !_keys.ContainsKey(developmentKey.ProjectId))
        {
            _keys[developmentKey.ProjectId] = new RsaSecurityKey(developmentKey.PublicKey) { KeyId = developmentKey.ProjectId };
        }
    }

    public int Count => _keys.Count;

    public bool TryGet(string projectId, out RsaSecurityKey key) => _keys.TryGetValue(projectId, out key!);
}
