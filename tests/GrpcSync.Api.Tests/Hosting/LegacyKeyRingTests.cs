using GrpcSync.Server.Api;
using GrpcSync.Server.Hosting;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcSync.Api.Tests.Hosting;

/// <summary>
/// Upgrading a data directory whose key ring was written before key encryption (plain XML keys): the secrets those
/// keys protect stay readable, the old key files are left as they are, and keys made from now on are encrypted.
/// Real files; the server's own registration (AddGrpcSyncDataProtection), no store involved.
/// </summary>
public sealed class LegacyKeyRingTests : IDisposable
{
    private readonly string _data = Directory.CreateTempSubdirectory("grpcsync-keyring-").FullName;

    public void Dispose() => Directory.Delete(_data, recursive: true);

    [Fact]
    public void Keys_written_before_key_encryption_stay_readable_and_new_keys_are_encrypted()
    {
        var keys = Path.Combine(_data, "keys");
        // The key ring as the server configured it before: the same directory and name, no XML encryptor.
        var before = DataProtectionProvider.Create(new DirectoryInfo(keys), b => b.SetApplicationName(DataProtectionRegistration.ApplicationName))
            .CreateProtector(CredentialApi.SecretPurpose);
        var oldSecret = before.Protect("/accounts/written-before");
        var oldKey = Assert.Single(Directory.GetFiles(keys, "*.xml"));
        Assert.Contains("<masterKey", File.ReadAllText(oldKey));

        var services = new ServiceCollection().AddLogging();
        services.AddGrpcSyncDataProtection(new GrpcSyncOptions { DataDirectory = _data });
        using var provider = services.BuildServiceProvider();
        var now = provider.GetRequiredService<IDataProtectionProvider>().CreateProtector(CredentialApi.SecretPurpose);
        Assert.Equal("/accounts/written-before", now.Unprotect(oldSecret));

        // The next key (rotation every 90 days; made at once here) is written encrypted; the old file is untouched.
        provider.GetRequiredService<IKeyManager>().CreateNewKey(DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(90));
        var newKey = Assert.Single(Directory.GetFiles(keys, "*.xml"), f => f != oldKey);
        Assert.DoesNotContain("<masterKey", File.ReadAllText(newKey));
        Assert.Contains("AesGcmXmlDecryptor", File.ReadAllText(newKey));
        Assert.Contains("<masterKey", File.ReadAllText(oldKey));
        Assert.Equal("/accounts/written-before", now.Unprotect(oldSecret));

        // A fresh provider (the next start) reads both kinds of key.
        using var restarted = new ServiceCollection().AddLogging().AddGrpcSyncDataProtection(new GrpcSyncOptions { DataDirectory = _data })
            .BuildServiceProvider();
        var again = restarted.GetRequiredService<IDataProtectionProvider>().CreateProtector(CredentialApi.SecretPurpose);
        Assert.Equal("/accounts/written-before", again.Unprotect(oldSecret));
        Assert.Equal("written after", again.Unprotect(now.Protect("written after")));
    }
}
