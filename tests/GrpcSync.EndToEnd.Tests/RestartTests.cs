using System.Net;
using System.Text.Json.Nodes;
using GrpcSync.EndToEnd.Tests.Infrastructure;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Data.Sqlite;

namespace GrpcSync.EndToEnd.Tests;

/// <summary>
/// Stops the server and starts a new process on the same data directory: the SQLite file and the Data
/// Protection key ring under it must carry every Sync, credential and secret across the restart.
/// </summary>
public sealed class RestartTests : IDisposable
{
    // The server's names for its key ring and secret protector (DataProtectionRegistration, CredentialApi.SecretPurpose).
    private const string DataProtectionApplicationName = "GrpcSync";
    private const string SecretPurpose = "GrpcSync.Credentials.Secret.v1";

    private static readonly string[] StableSyncFields =
    [
        "id", "userId", "projectId", "integration", "pipeline", "configurationName", "configuration",
        "credentialId", "incrementalAccumulatorFrequency", "dateCreated",
    ];

    private readonly TestEnvironment _environment = new();

    public void Dispose() => _environment.Dispose();

    [Fact]
    public async Task Syncs_credentials_and_secrets_survive_a_restart_on_the_same_data_directory()
    {
        var token = _environment.Key.CreateToken("restart-user");
        // Filesystem secrets are the accounts' directories.
        var secretBefore = _environment.NewAccount();
        var secretAfter = _environment.NewAccount();
        string credentialId, spareCredentialId, syncId;
        JsonObject before;
        Dictionary<string, string> recordsBefore;

        await using (var first = await _environment.StartServerAsync())
        {
            using var http = RestClient(first);
            credentialId = await CreateCredentialAsync(http, token, "Files", secretBefore);
            spareCredentialId = await CreateCredentialAsync(http, token, "Spare files", _environment.NewAccount());
            var sync = await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, EnableBody("default", credentialId));
            syncId = sync.Str("id");
            await Rest.OkAsync(http, HttpMethod.Patch, $"api/syncs/{syncId}", token, new JsonObject { ["incrementalAccumulatorFrequency"] = "1h" });
            before = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token);
            Assert.Equal("1h", before.Str("incrementalAccumulatorFrequency"));

            // The engine in the server syncs the configured folder before the restart.
            await Poll.UntilAsync(() => Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token),
                s => s.Str("status") == "IDLE", s => s.Str("status") == "ERRORED", $"Sync {syncId} to become IDLE", () => first.Output);
            recordsBefore = await RecordIdsAsync(http, token, syncId);
            // The configured folder itself is not a record; ids stay relative to the account root.
            Assert.Equal(["root/report.csv", "root/sub", "root/sub/deep.md"], recordsBefore.Keys.Order(StringComparer.Ordinal).ToArray());

            var exitCode = await first.StopAsync(TimeSpan.FromSeconds(20));
            Assert.True(exitCode == 0, $"SIGTERM should stop the server gracefully (exit code 0), got {exitCode}:{Environment.NewLine}{first.Output}");
        }

        var database = Path.Combine(_environment.DataDirectory, "grpcsync.db");
        Assert.True(File.Exists(database), $"No {database}; the data directory holds: {string.Join(", ", Directory.GetFileSystemEntries(_environment.DataDirectory))}");
        var keysBefore = KeyFiles();
        Assert.NotEmpty(keysBefore);

        await using (var second = await _environment.StartServerAsync())
        {
            using var http = RestClient(second);

            // The Sync comes back as it was. (Status, summary, runs and etag may legitimately move on once a
            // worker runs Syncs, so only what the caller set and what identifies the Sync is compared.)
            var after = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token);
            foreach (var field in StableSyncFields)
            {
                Assert.True(JsonNode.DeepEquals(before[field], after[field]),
                    $"'{field}' changed across the restart.{Environment.NewLine}Before: {before.ToJsonString()}{Environment.NewLine}After:  {after.ToJsonString()}");
            }
            Assert.Equal("1h", after.Str("incrementalAccumulatorFrequency"));
            Assert.Equal(recordsBefore, await RecordIdsAsync(http, token, syncId)); // the synced records survive too
            var overGrpc = await BufCurl.CallOkAsync(second.GrpcBaseAddress, Methods.GetSync, new JsonObject { ["syncId"] = syncId }.ToJsonString(), token);
            Assert.Equal("1h", overGrpc.Str("incrementalAccumulatorFrequency"));

            // The same token still works (keys come from configuration), and both credentials are listed, secretless.
            var credentials = await Rest.SendAsync(http, HttpMethod.Get, "api/credentials", token);
            Assert.True(credentials.Status == HttpStatusCode.OK, credentials.ToString());
            var ids = credentials.JsonObject["data"]!.AsArray().Select(c => c!.AsObject().Str("id")).ToArray();
            Assert.Equal([credentialId, spareCredentialId], ids);
            Assert.DoesNotContain("secret", credentials.Body, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain(_environment.FilesRoot, credentials.Body, StringComparison.Ordinal);

            // Credentials created before the restart can still be bound.
            var again = await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, EnableBody("default", credentialId));
            Assert.Equal(syncId, again.Str("id")); // same combination and configuration: the existing Sync
            var secondSync = await Rest.OkAsync(http, HttpMethod.Post, "api/syncs", token, EnableBody("second", credentialId));
            Assert.Equal(credentialId, secondSync.Str("credentialId"));
            Assert.NotEqual(syncId, secondSync.Str("id"));
            var rebind = await Rest.OkAsync(http, HttpMethod.Patch, $"api/syncs/{syncId}", token, new JsonObject { ["credentialId"] = spareCredentialId });
            Assert.Equal(spareCredentialId, rebind["data"]!.AsObject().Str("credentialId"));
            var rebound = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}", token);
            Assert.Equal(spareCredentialId, rebound.Str("credentialId"));
            Assert.Equal("1h", rebound.Str("incrementalAccumulatorFrequency"));

            // A new secret is protected with the reloaded key ring, not a newly generated one.
            var credentialAfter = await CreateCredentialAsync(http, token, "Files after restart", secretAfter);

            var exitCode = await second.StopAsync(TimeSpan.FromSeconds(20));
            Assert.True(exitCode == 0, $"SIGTERM should stop the server gracefully (exit code 0), got {exitCode}:{Environment.NewLine}{second.Output}");

            Assert.Equal(keysBefore, KeyFiles());

            // At rest the secrets are ciphertext that the persisted key ring (and only it) opens; the key ring's own
            // keys are encrypted with the key-encryption key file (the default), so only with both.
            KeyRingOnDisk.AssertEncrypted(KeysDirectory);
            var openedKeys = KeyRingOnDisk.DecryptTo(KeysDirectory, Path.Combine(KeysDirectory, "key-encryption.key"),
                Path.Combine(_environment.Root, "opened-keys"));
            var protector = DataProtectionProvider
                .Create(new DirectoryInfo(openedKeys), b => b.SetApplicationName(DataProtectionApplicationName))
                .CreateProtector(SecretPurpose);
            foreach (var (id, secret) in new[] { (credentialId, secretBefore), (credentialAfter, secretAfter) })
            {
                var stored = await ReadProtectedSecretAsync(database, id);
                Assert.DoesNotContain(secret, stored, StringComparison.Ordinal);
                Assert.Equal(secret, protector.Unprotect(stored));
            }
        }
    }

    private string KeysDirectory => Path.Combine(_environment.DataDirectory, "keys");

    private string[] KeyFiles() =>
        Directory.Exists(KeysDirectory)
            ? Directory.GetFiles(KeysDirectory, "*.xml").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray()
            : [];

    private static HttpClient RestClient(ServerProcess server) => new() { BaseAddress = server.RestBaseAddress, Timeout = TimeSpan.FromSeconds(30) };

    private static JsonObject EnableBody(string configurationName, string credentialId) => new()
    {
        ["integration"] = "filesystem",
        ["pipeline"] = "files",
        ["configurationName"] = configurationName,
        ["credentialId"] = credentialId,
        ["configuration"] = new JsonObject { ["folder"] = "root" },
    };

    /// <summary>The Sync's records over REST: externalId → record id.</summary>
    private static async Task<Dictionary<string, string>> RecordIdsAsync(HttpClient http, string token, string syncId)
    {
        var page = await Rest.OkAsync(http, HttpMethod.Get, $"api/syncs/{syncId}/records?pageSize=1000", token);
        Assert.Equal(0, page["paging"]!.AsObject().Int64("remainingRecords"));
        return page["data"]!.AsArray().Select(r => r!.AsObject()).ToDictionary(r => r.Str("externalId"), r => r.Str("id"));
    }

    private static async Task<string> CreateCredentialAsync(HttpClient http, string token, string displayName, string secret)
    {
        var credential = await Rest.OkAsync(http, HttpMethod.Post, "api/credentials", token,
            new JsonObject { ["integration"] = "filesystem", ["displayName"] = displayName, ["secret"] = secret });
        return credential.Str("id");
    }

    /// <summary>Reads credentials.protected_secret straight from the SQLite file (the server is stopped).</summary>
    private static async Task<string> ReadProtectedSecretAsync(string database, string credentialId)
    {
        var connectionString = new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadWrite, Pooling = false }.ToString();
        await using var connection = new SqliteConnection(connectionString);
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT protected_secret FROM credentials WHERE id = $id";
        command.Parameters.AddWithValue("$id", Guid.Parse(credentialId).ToString("D"));
        return await command.ExecuteScalarAsync() as string
            ?? throw new Xunit.Sdk.XunitException($"Credential {credentialId} is not in {database}.");
    }
}
