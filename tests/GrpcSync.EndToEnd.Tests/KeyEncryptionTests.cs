using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>
/// A clean first run in Production (the real server process): no warning on start, the Data Protection keys
/// encrypted at rest (a key-encryption key file by default, or a certificate), secrets readable across a restart,
/// and a key-encryption key file that others may read refused with a message that says how to fix it.
/// The key file's guard is its Unix mode, so these run where the server runs it: Linux and macOS.
/// </summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
public sealed partial class KeyEncryptionTests : IDisposable
{
    private readonly TestEnvironment _environment = new();

    public void Dispose() => _environment.Dispose();

    private string KeysDirectory => Path.Combine(_environment.DataDirectory, "keys");
    private string DefaultKeyFile => Path.Combine(KeysDirectory, "key-encryption.key");

    [Fact]
    public async Task A_production_start_logs_no_warning_and_its_keys_are_encrypted_with_a_new_0600_key_file()
    {
        await using (var server = await _environment.StartServerAsync())
        {
            using var http = RestClient(server);
            await CreateCredentialAsync(http, _environment.Key.CreateToken("first-run"), _environment.NewAccount());
            Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(20)));
            AssertNoWarnings(server);
        }

        Assert.True(File.Exists(DefaultKeyFile), "the key-encryption key file was not created");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(DefaultKeyFile));
        Assert.Equal(32, new FileInfo(DefaultKeyFile).Length);
        var secrets = KeyRingOnDisk.AssertEncrypted(KeysDirectory);
        Assert.All(secrets, s => Assert.Contains("AesGcmXmlDecryptor", (string?)s.Attribute("decryptorType")));
        // The file's key, and only it, opens them: what comes out is the key ring's plain XML.
        var opened = KeyRingOnDisk.DecryptTo(KeysDirectory, DefaultKeyFile, Path.Combine(_environment.Root, "opened"));
        Assert.All(KeyRingOnDisk.KeyFiles(opened), f => Assert.Contains("<masterKey", File.ReadAllText(f)));
    }

    [Fact]
    public async Task A_secret_written_before_a_restart_is_read_by_a_run_after_it()
    {
        var token = _environment.Key.CreateToken("restart-secret");
        var account = _environment.NewAccount();
        string syncId;
        await using (var first = await _environment.StartServerAsync())
        {
            using var http = RestClient(first);
            var credentialId = await CreateCredentialAsync(http, token, account);
            syncId = (await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, new JsonObject
            {
                ["integration"] = "filesystem",
                ["pipeline"] = "files",
                ["credentialId"] = credentialId,
                ["configuration"] = new JsonObject { ["folder"] = "root" },
                ["incrementalAccumulatorFrequency"] = "24h",
            })).Str("id");
            await WaitIdleAsync(http, token, syncId, first);
            Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(20)));
        }

        // A new file that only a run reading the account (the decrypted secret is its path) can find.
        File.WriteAllText(Path.Combine(account, "root", "after-restart.txt"), "written while the server was down\n");
        await using var second = await _environment.StartServerAsync();
        using var client = RestClient(second);
        await Rest.OkAsync(client, HttpMethod.Post, $"api/syncs/{syncId}/trigger", token, new JsonObject());
        await Poll.UntilAsync(() => Rest.OkAsync(client, HttpMethod.Get, $"api/syncs/{syncId}/records?pageSize=100", token),
            page => page["data"]!.AsArray().Any(r => r!["externalId"]!.GetValue<string>() == "root/after-restart.txt"),
            _ => false, "the run after the restart to read the account", () => second.Output);
        AssertNoWarnings(second);
    }

    [Fact]
    public async Task A_key_file_that_others_may_read_is_refused_at_start_with_what_to_do()
    {
        var keyFile = Path.Combine(_environment.Root, "kek.bin");
        File.WriteAllBytes(keyFile, RandomNumberGenerator.GetBytes(32));
        File.SetUnixFileMode(keyFile, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => _environment.StartServerAsync(
            new Dictionary<string, string> { ["GrpcSync__DataProtection__KeyEncryptionKeyFile"] = keyFile }));

        Assert.Contains("exited with code 1", refused.Message);
        Assert.Contains($"GrpcSync cannot start: The key-encryption key file '{keyFile}' may be read by group or others (mode 0644)", refused.Message);
        Assert.Contains($"chmod 600 '{keyFile}'", refused.Message);
        Assert.DoesNotContain("   at ", refused.Message); // a message, not a stack trace
        Assert.Empty(KeyRingOnDisk.KeyFiles(KeysDirectory));
    }

    [Fact]
    public async Task A_missing_key_file_is_not_replaced_while_keys_encrypted_with_it_exist()
    {
        await using (var server = await _environment.StartServerAsync())
        {
            Assert.Equal(0, await server.StopAsync(TimeSpan.FromSeconds(20)));
        }
        File.Delete(DefaultKeyFile);

        var refused = await Assert.ThrowsAsync<InvalidOperationException>(() => _environment.StartServerAsync());

        Assert.Contains("exited with code 1", refused.Message);
        Assert.Contains($"The key-encryption key file '{DefaultKeyFile}' is missing", refused.Message);
        Assert.False(File.Exists(DefaultKeyFile));
    }

    [Fact]
    public async Task A_configured_certificate_encrypts_the_keys_and_reads_them_back_after_a_restart()
    {
        var certificateFile = Path.Combine(_environment.Root, "keys-cert.pfx");
        using (var rsa = RSA.Create(2048))
        {
            var request = new CertificateRequest("CN=GrpcSync key encryption test", rsa, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
            using var certificate = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(30));
            File.WriteAllBytes(certificateFile, certificate.Export(X509ContentType.Pfx, "test-password"));
        }
        var settings = new Dictionary<string, string>
        {
            ["GrpcSync__DataProtection__CertificatePath"] = certificateFile,
            ["GrpcSync__DataProtection__CertificatePassword"] = "test-password",
        };
        var token = _environment.Key.CreateToken("certificate");
        var account = _environment.NewAccount();
        string credentialId;
        await using (var first = await _environment.StartServerAsync(settings))
        {
            using var http = RestClient(first);
            credentialId = await CreateCredentialAsync(http, token, account);
            Assert.Equal(0, await first.StopAsync(TimeSpan.FromSeconds(20)));
            AssertNoWarnings(first);
            Assert.DoesNotContain("test-password", first.Output);
        }
        var secrets = KeyRingOnDisk.AssertEncrypted(KeysDirectory);
        Assert.All(secrets, s => Assert.Contains("EncryptedXmlDecryptor", (string?)s.Attribute("decryptorType")));
        Assert.False(File.Exists(DefaultKeyFile), "with a certificate no key-encryption key file is made");

        await using var second = await _environment.StartServerAsync(settings);
        using var client = RestClient(second);
        var sync = await Rest.OkAsync(client, HttpMethod.Post, "api/syncs", token, new JsonObject
        {
            ["integration"] = "filesystem",
            ["pipeline"] = "files",
            ["credentialId"] = credentialId,
            ["configuration"] = new JsonObject { ["folder"] = "root" },
        });
        await WaitIdleAsync(client, token, sync.Str("id"), second); // the INITIAL run read the account: the secret opened
        AssertNoWarnings(second);
    }

    /// <summary>No warn/fail/crit line from the console logger (its default format: "warn: Category[id]").</summary>
    private static void AssertNoWarnings(ServerProcess server)
    {
        var bad = server.Lines.Where(l => LogLevelPrefix().IsMatch(l)).ToArray();
        Assert.True(bad.Length == 0, $"The server logged {bad.Length} warning(s) or error(s):{Environment.NewLine}{server.Output}");
    }

    [GeneratedRegex(@"^(\[stderr\] )?\s*(warn|fail|crit):")]
    private static partial Regex LogLevelPrefix();

    private static async Task WaitIdleAsync(HttpClient http, string token, string syncId, ServerProcess server) =>
        await Poll.UntilAsync(() => Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token),
            s => s.Str("status") == "IDLE", s => s.Str("status") == "ERRORED", $"Sync {syncId} to become IDLE", () => server.Output);

    private static HttpClient RestClient(ServerProcess server) => new() { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    private static async Task<string> CreateCredentialAsync(HttpClient http, string token, string account) =>
        (await Rest.OkAsync(http, HttpMethod.Post, "api/credentials", token,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = "Files", ["secret"] = account })).Str("id");
}
