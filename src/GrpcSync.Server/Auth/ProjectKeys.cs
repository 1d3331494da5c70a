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
            _keys[projectId] = new RsaSecurityKey(LoadPublicKey(projectId, project)) { KeyId = projectId };
        }
        if (developmentKey is not null && !_keys.ContainsKey(developmentKey.ProjectId))
        {
            _keys[developmentKey.ProjectId] = new RsaSecurityKey(developmentKey.PublicKey) { KeyId = developmentKey.ProjectId };
        }
    }

    public int Count => _keys.Count;

    /// <summary>Reads a project's key; any problem stops start-up with a message naming the setting.</summary>
    private static RSA LoadPublicKey(string projectId, ProjectKeyOptions project)
    {
        var setting = $"GrpcSync:Auth:Projects:{projectId}";
        string? pem = project.PublicKeyPem;
        if (string.IsNullOrWhiteSpace(pem) && !string.IsNullOrWhiteSpace(project.PublicKeyFile))
        {
            try
            {
                pem = File.ReadAllText(project.PublicKeyFile);
            }
            catch (Exception error) when (error is IOException or UnauthorizedAccessException)
            {
                throw new InvalidOperationException($"{setting}:PublicKeyFile '{project.PublicKeyFile}' cannot be read: {error.Message}", error);
            }
        }
        if (string.IsNullOrWhiteSpace(pem))
        {
            throw new InvalidOperationException($"Project '{projectId}' has neither PublicKeyPem nor PublicKeyFile ({setting}).");
        }
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
        }
        catch (ArgumentException error)
        {
            throw new InvalidOperationException($"{setting}: the key is not an RSA public key in PEM form.", error);
        }
        return rsa;
    }

    public bool TryGet(string projectId, out RsaSecurityKey key) => _keys.TryGetValue(projectId, out key!);
}
