namespace GrpcSync.Server.Hosting;

public sealed class ProjectKeyOptions
{
    /// <summary>The PEM text of the project's RSA public key (SubjectPublicKeyInfo or PKCS#1).</summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>Or a path to a PEM file with it.</summary>
    public string? PublicKeyFile { get; set; }
}
