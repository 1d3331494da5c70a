using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace GrpcSync.Server.Auth;

/// <summary>
/// A signing key for local development only (<c>GrpcSync:Auth:GenerateDevelopmentKey</c>): created once
/// under DataDirectory/dev so tokens survive restarts. Production configuration never generates keys.
/// </summary>
public sealed class DevelopmentKey
{
    private readonly RSA _privateKey;

    private DevelopmentKey(RSA privateKey, string projectId, string keyPath)
    {
        _privateKey = privateKey;
        ProjectId = projectId;
        KeyPath = keyPath;
        PublicKey = RSA.Create();
        PublicKey.ImportSubjectPublicKeyInfo(privateKey.ExportSubjectPublicKeyInfo(), out _);
    }

    public string ProjectId { get; }
    public string KeyPath { get; }
    public RSA PublicKey { get; }

    public static DevelopmentKey LoadOrCreate(string dataDirectory, string projectId)
    {
        var directory = Path.Combine(dataDirectory, "dev");
        var path = Path.Combine(directory, "signing-key.pem");
        var rsa = RSA.Create();
        if (File.Exists(path))
        {
            rsa.ImportFromPem(File.ReadAllText(path));
        }
        else
        {
            Directory.CreateDirectory(directory);
            rsa.KeySize = 2048;
            File.WriteAllText(path, rsa.ExportPkcs8PrivateKeyPem());
            if (!OperatingSystem.IsWindows())
            {
                File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            }
        }
        return new DevelopmentKey(rsa, projectId, path);
    }

    /// <summary>
    /// An RS256 user token with the claims the service requires: sub, iat, exp, aud; with
    /// <paramref name="admin"/> also <c>"role": "admin"</c> (a project administrator's token).
    /// </summary>
    public string CreateToken(string userId, string audienceHost, TimeSpan lifetime, bool admin = false) =>
        CreateToken(_privateKey, ProjectId, userId, audienceHost, lifetime, admin);

    public static string CreateToken(RSA privateKey, string projectId, string userId, string audienceHost, TimeSpan lifetime,
        bool admin = false)
    {
        var now = DateTime.UtcNow;
        var claims = new Dictionary<string, object> { ["sub"] = userId };
        if (admin)
        {
            claims[AuthenticatedCaller.RoleClaim] = AuthenticatedCaller.AdminRole;
        }
        var descriptor = new SecurityTokenDescriptor
        {
            Audience = $"{audienceHost}/{projectId}",
            IssuedAt = now,
            NotBefore = now,
            Expires = now + lifetime,
            Claims = claims,
            SigningCredentials = new SigningCredentials(new RsaSecurityKey(privateKey), SecurityAlgorithms.RsaSha256),
        };
        return new JsonWebTokenHandler().CreateToken(descriptor);
    }
}
