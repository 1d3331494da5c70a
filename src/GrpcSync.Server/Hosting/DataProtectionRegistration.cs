using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using GrpcSync.Server.Hosting.KeyEncryption;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;

namespace GrpcSync.Server.Hosting;

/// <summary>
/// The Data Protection key ring (it encrypts credential and webhook secrets): kept in files, its keys encrypted at
/// rest by a certificate, a key-encryption key file (the Unix default) or DPAPI (the Windows default). Keys written
/// before key encryption existed are plaintext XML and stay readable as they are; only new keys are encrypted.
/// </summary>
public static class DataProtectionRegistration
{
    public const string ApplicationName = "GrpcSync";

    public static string KeysPath(GrpcSyncOptions options) =>
        options.DataProtection.KeysPath ?? options.KeysDirectory ?? Path.Combine(options.DataDirectory, "keys");

    /// <summary>
    /// Inside the key ring's directory (Data Protection reads only its *.xml files): replicas that share the key ring
    /// share its key-encryption key with it. Production should move it elsewhere (README, Key encryption at rest).
    /// </summary>
    public static string DefaultKeyEncryptionKeyFile(GrpcSyncOptions options) => Path.Combine(KeysPath(options), "key-encryption.key");

    /// <summary>Throws <see cref="StartupProblem"/> for a certificate or key file it cannot use.</summary>
    public static IServiceCollection AddGrpcSyncDataProtection(this IServiceCollection services, GrpcSyncOptions options)
    {
        var settings = options.DataProtection;
        var builder = services.AddDataProtection()
            .SetApplicationName(ApplicationName)
            .PersistKeysToFileSystem(new DirectoryInfo(KeysPath(options)));

        if (!string.IsNullOrEmpty(settings.CertificatePath))
        {
            builder.ProtectKeysWithCertificate(LoadCertificate(settings.CertificatePath, settings.CertificatePassword));
            if (!string.IsNullOrEmpty(settings.KeyEncryptionKeyFile))
            {
                // Moving from a key file to a certificate: the file still opens the keys written under it.
                services.AddSingleton(OpenKeyFile(settings.KeyEncryptionKeyFile, create: false));
            }
            return services;
        }
        if (OperatingSystem.IsWindows() && string.IsNullOrEmpty(settings.KeyEncryptionKeyFile))
        {
            builder.ProtectKeysWithDpapi();
            return services;
        }
        var keyFile = Path.GetFullPath(settings.KeyEncryptionKeyFile ?? DefaultKeyEncryptionKeyFile(options));
        RefuseToReplaceALostKeyFile(keyFile, KeysPath(options));
        var kek = OpenKeyFile(keyFile, create: true);
        services.AddSingleton(kek);
        services.Configure<KeyManagementOptions>(keys => keys.XmlEncryptor = new AesGcmXmlEncryptor(kek));
        return services;
    }

    private static KeyEncryptionKey OpenKeyFile(string path, bool create)
    {
        if (OperatingSystem.IsWindows())
        {
            throw new StartupProblem(
                "GrpcSync:DataProtection:KeyEncryptionKeyFile works on Linux and macOS only (its file mode is its guard); on Windows "
                + "use GrpcSync:DataProtection:CertificatePath, or neither for DPAPI.");
        }
        return create ? KeyEncryptionKey.OpenOrCreate(path) : KeyEncryptionKey.Open(path);
    }

    /// <summary>
    /// A new key file cannot open keys encrypted with a lost one: creating it would leave every stored secret unreadable
    /// without a word. So a missing file is only created while no key of the ring was encrypted with such a file.
    /// </summary>
    private static void RefuseToReplaceALostKeyFile(string keyFile, string keysPath)
    {
        if (File.Exists(keyFile) || !Directory.Exists(keysPath))
        {
            return;
        }
        var encrypted = Directory.EnumerateFiles(keysPath, "*.xml")
            .Count(key => File.ReadAllText(key).Contains(nameof(AesGcmXmlDecryptor), StringComparison.Ordinal));
        if (encrypted > 0)
        {
            throw new StartupProblem(
                $"The key-encryption key file '{keyFile}' is missing, but {encrypted} Data Protection key(s) in '{Path.GetFullPath(keysPath)}' "
                + "were encrypted with one. Restore that file (or point GrpcSync:DataProtection:KeyEncryptionKeyFile at it): "
                + "a new one could not open those keys, and the secrets they protect would be lost.");
        }
    }

    private static X509Certificate2 LoadCertificate(string path, string? password)
    {
        if (!File.Exists(path))
        {
            throw new StartupProblem($"The Data Protection certificate '{Path.GetFullPath(path)}' (GrpcSync:DataProtection:CertificatePath) does not exist.");
        }
        X509Certificate2 certificate;
        try
        {
            certificate = X509CertificateLoader.LoadPkcs12FromFile(path, password);
        }
        catch (CryptographicException error)
        {
            throw new StartupProblem(
                $"The Data Protection certificate '{Path.GetFullPath(path)}' cannot be opened as PKCS#12 with the configured "
                + $"GrpcSync:DataProtection:CertificatePassword: {error.Message}");
        }
        if (!certificate.HasPrivateKey)
        {
            throw new StartupProblem($"The Data Protection certificate '{Path.GetFullPath(path)}' has no private key: it could encrypt keys but never read them back.");
        }
        return certificate;
    }
}
