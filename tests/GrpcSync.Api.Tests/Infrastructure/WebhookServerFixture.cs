using System.Globalization;
using System.Security.Cryptography;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// The engine host with webhook delivery tuned for tests: private networks allowed (the receiver is on
/// loopback), a short retry schedule (0.3 s, 0.6 s, 0.9 s: four attempts), a 1.5 s attempt timeout and fast
/// polling. Endpoints are written underneath the API (<see cref="AddEndpointAsync"/>) with a secret protected as the
/// management API protects it.
/// </summary>
public abstract class WebhookServerFixture(TestStore store) : EngineServerFixture(store)
{
    public static readonly TimeSpan[] Schedule = [TimeSpan.FromMilliseconds(300), TimeSpan.FromMilliseconds(600), TimeSpan.FromMilliseconds(900)];

    protected override void Configure(IDictionary<string, string?> settings)
    {
        base.Configure(settings);
        settings["GrpcSync:Webhooks:AllowPrivateNetworks"] = "true";
        for (var i = 0; i < Schedule.Length; i++)
        {
            settings[$"GrpcSync:Webhooks:RetrySchedule:{i}"] = Schedule[i].ToString("c", CultureInfo.InvariantCulture);
        }
        settings["GrpcSync:Webhooks:RetryJitter"] = "0.1";
        settings["GrpcSync:Webhooks:Timeout"] = "00:00:01.5";
        settings["GrpcSync:Webhooks:LeaseDuration"] = "00:00:05";
        settings["GrpcSync:Webhooks:PollInterval"] = "00:00:00.050";
        settings["GrpcSync:Webhooks:DisableCheckInterval"] = "00:00:00.100";
        settings["GrpcSync:Webhooks:MaxConcurrencyPerEndpoint"] = "2";
        settings["GrpcSync:Webhooks:MaxConcurrency"] = "16";
    }

    public static string NewSecret() => "whsec_" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));

    /// <summary>Protects a secret as the management API does (Data Protection, purpose GrpcSync.Webhooks.Secret.v1).</summary>
    public string Protect(string secret) =>
        Services.GetRequiredService<IDataProtectionProvider>().CreateProtector("GrpcSync.Webhooks.Secret.v1").Protect(secret);

    /// <summary>An enabled endpoint of <paramref name="projectId"/>; with <paramref name="previousSecret"/>, in its rotation's grace period.</summary>
    public async Task<Guid> AddEndpointAsync(string url, string secret, string eventTypes = "", string projectId = ProjectA,
        string? previousSecret = null)
    {
        var id = Guid.NewGuid();
        var now = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var previous = previousSecret is null ? "NULL" : $"'{Protect(previousSecret)}'";
        var previousExpires = previousSecret is null ? "NULL" : (now + 3_600_000).ToString(CultureInfo.InvariantCulture);
        await this.ExecuteSqlAsync($"""
            INSERT INTO webhook_endpoints (id, project_id, url, description, event_types, enabled, secret, previous_secret,
                previous_secret_expires_at, created_at, updated_at)
            VALUES ('{id:D}', '{projectId}', '{url}', 'test', '{eventTypes}', TRUE, '{Protect(secret)}', {previous}, {previousExpires}, {now}, {now})
            """);
        return id;
    }

    /// <summary>Stops deliveries to an endpoint a test is done with (the fixture's host outlives the test's receiver).</summary>
    public Task RemoveEndpointAsync(Guid id) => this.ExecuteSqlAsync($"DELETE FROM webhook_endpoints WHERE id = '{id:D}'");

    /// <summary>(state, attempts, last_status_code, last_error) of each delivery of an endpoint, oldest first.</summary>
    public async Task<List<(string State, long Attempts, long? Code, string? Error)>> DeliveriesAsync(Guid endpointId) =>
        (await this.QuerySqlAsync(
            $"SELECT state, attempts, last_status_code, last_error FROM webhook_deliveries WHERE endpoint_id = '{endpointId:D}' ORDER BY created_at, id"))
        .Select(r => ((string)r[0]!, Convert.ToInt64(r[1], CultureInfo.InvariantCulture),
            r[2] is null ? (long?)null : Convert.ToInt64(r[2], CultureInfo.InvariantCulture), (string?)r[3]))
        .ToList();

    /// <summary>(enabled, disabled_reason) of an endpoint.</summary>
    public async Task<(bool Enabled, string? Reason)> EndpointStateAsync(Guid endpointId)
    {
        var row = Assert.Single(await this.QuerySqlAsync($"SELECT enabled, disabled_reason FROM webhook_endpoints WHERE id = '{endpointId:D}'"));
        return (Convert.ToBoolean(row[0], CultureInfo.InvariantCulture), (string?)row[1]);
    }
}

public sealed class SqliteWebhookServer() : WebhookServerFixture(TestStore.Sqlite);

public sealed class PostgresWebhookServer() : WebhookServerFixture(TestStore.Postgres);
