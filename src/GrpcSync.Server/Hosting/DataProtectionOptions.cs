namespace GrpcSync.Server.Hosting;

/// <summary>
/// <c>GrpcSync:DataProtection</c>: where the Data Protection key ring (the keys that encrypt credential and webhook
/// secrets) is kept and how its keys are encrypted at rest. One of: a certificate (<see cref="CertificatePath"/>),
/// or a key-encryption key file (<see cref="KeyEncryptionKeyFile"/>, Linux and macOS; the default there, created on
/// first start). Without either on Windows, DPAPI protects the keys (the machine's own account key).
/// </summary>
public sealed class DataProtectionOptions
{
    /// <summary>The key ring directory; default <c>KeysDirectory</c> (the older name of this key), else DataDirectory/keys.</summary>
    public string? KeysPath { get; set; }

    /// <summary>A PKCS#12 (.pfx) file with a private key: new keys are encrypted to it (XML encryption, RSA).</summary>
    public string? CertificatePath { get; set; }

    /// <summary>The password of <see cref="CertificatePath"/>; use an environment variable or a secret store, not appsettings.json.</summary>
    public string? CertificatePassword { get; set; }

    /// <summary>
    /// 32 random bytes (AES-256-GCM) that encrypt new keys; default key-encryption.key inside the key ring directory, created with mode
    /// 0600 if missing. Refused at start when group or others may read it. With <see cref="CertificatePath"/> set too,
    /// the file only decrypts keys written under it (moving from the file to a certificate).
    /// </summary>
    public string? KeyEncryptionKeyFile { get; set; }
}
