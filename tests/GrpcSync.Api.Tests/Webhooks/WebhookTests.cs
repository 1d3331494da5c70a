using Grpc.Core;
using GrpcSync.Api.Tests.Infrastructure;
using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Server.Api;
using GrpcSync.Storage;
using GrpcSync.V1;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.Extensions.DependencyInjection;

namespace GrpcSync.Api.Tests.Webhooks;

/// <summary>
/// WebhookService over both transports on both stores: admin only, the create/get/list/patch/delete round
/// trip, secrets (format, shown only by create and rotate, stored protected), PATCH presence, validation and
/// project isolation. Each test works in a project of its own (<see cref="WebhookApiServerFixture.NewProjectAdmin"/>).
/// </summary>
public abstract class WebhookTests(WebhookApiServerFixture server)
{
    public sealed class OnSqlite(SqliteWebhookApiServer server) : WebhookTests(server), IClassFixture<SqliteWebhookApiServer>;

    public sealed class OnPostgres(PostgresWebhookApiServer server) : WebhookTests(server), IClassFixture<PostgresWebhookApiServer>;

    private const string Receiver = "https://127.0.0.1:8443/grpcsync";

    protected WebhookApiServerFixture Server { get; } = server;

    private IWebhookStore Store => Server.Services.GetRequiredService<IWebhookStore>();

    private string Unprotect(string protectedSecret) =>
        Server.Services.GetRequiredService<IDataProtectionProvider>().CreateProtector(WebhookSecret.ProtectionPurpose).Unprotect(protectedSecret);

    private static void AssertSecretFormat(string secret)
    {
        Assert.StartsWith("whsec_", secret, StringComparison.Ordinal);
        var key = Convert.FromBase64String(secret["whsec_".Length..]);
        Assert.Equal(32, key.Length);
        Assert.Contains(key, b => b != 0);
    }

    [Theory, BothTransports]
    public async Task Every_webhook_route_refuses_a_user_token_with_403_ADMIN_REQUIRED(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var webhook = await admin.NewWebhook(Receiver, "kept");
        var user = Server.ForUser("plain-user", admin.ProjectId); // same project, no "role": "admin"

        var outcomes = new (string Route, Google.Rpc.Status Error)[]
        {
            ("create", (await user.CreateWebhook(transport, Receiver)).Fails(StatusCode.PermissionDenied)),
            ("create with a bad body", (await user.CreateWebhook(transport, "ftp://x", "", "no_such_event")).Fails(StatusCode.PermissionDenied)),
            ("list", (await user.ListWebhooks(transport)).Fails(StatusCode.PermissionDenied)),
            ("get", (await user.GetWebhook(transport, webhook.Id)).Fails(StatusCode.PermissionDenied)),
            ("get unknown", (await user.GetWebhook(transport, Guid.NewGuid().ToString())).Fails(StatusCode.PermissionDenied)),
            ("update", (await user.UpdateWebhook(transport, webhook.Id, description: "changed")).Fails(StatusCode.PermissionDenied)),
            ("rotate", (await user.RotateWebhookSecret(transport, webhook.Id)).Fails(StatusCode.PermissionDenied)),
            ("delete", (await user.DeleteWebhook(transport, webhook.Id)).Fails(StatusCode.PermissionDenied)),
            ("list deliveries", (await user.ListWebhookDeliveries(transport, webhook.Id)).Fails(StatusCode.PermissionDenied)),
            ("list deliveries with a bad state", (await user.ListWebhookDeliveries(transport, webhook.Id, state: "nope")).Fails(StatusCode.PermissionDenied)),
            ("redeliver", (await user.RedeliverWebhookDelivery(transport, webhook.Id, Guid.NewGuid().ToString())).Fails(StatusCode.PermissionDenied)),
            ("redeliver a bad id", (await user.RedeliverWebhookDelivery(transport, "x", "y")).Fails(StatusCode.PermissionDenied)),
        };

        foreach (var (route, error) in outcomes)
        {
            Assert.True(error.Reason() == "ADMIN_REQUIRED", $"{route}: reason {error.Reason()}");
            Assert.Contains("administrator", error.Message, StringComparison.Ordinal);
            Assert.Contains("\"role\": \"admin\"", error.Message, StringComparison.Ordinal);
        }
        var unchanged = (await admin.GetWebhook(Transport.Grpc, webhook.Id)).Ok();
        Assert.Equal("kept", unchanged.Description);
        Assert.Equal(webhook.UpdatedAt, unchanged.UpdatedAt);
        Assert.Single((await admin.ListWebhooks(Transport.Grpc)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task Without_a_token_the_webhook_routes_are_401(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var stranger = new TestUser(Server, "nobody", admin.ProjectId, "not-a-jwt");

        var error = (await stranger.ListWebhooks(transport)).Fails(StatusCode.Unauthenticated);

        Assert.Equal("TOKEN_MALFORMED", error.Reason());
    }

    [Theory, BothTransports]
    public async Task An_admin_token_works_on_the_sync_and_credential_apis_like_a_user_token(Transport transport)
    {
        var admin = Server.NewAdmin();

        var credential = (await admin.CreateCredential(transport)).Ok();
        var sync = (await admin.EnableSync(transport, TestUser.EnableRequest(credentialId: credential.Id))).Ok();

        Assert.Equal(admin.UserId, credential.UserId);
        Assert.Equal(sync.Id, (await admin.GetSync(transport, sync.Id)).Ok().Id);
        Assert.Equal([credential.Id], (await admin.ListCredentials(transport)).Ok().Data.Select(c => c.Id));
        // Still scoped to (project, user): the same user id without the claim sees the same resources.
        var sameUser = Server.ForUser(admin.UserId);
        Assert.Equal(sync.Id, (await sameUser.GetSync(transport, sync.Id)).Ok().Id);
    }

    [Theory, BothTransports]
    public async Task Create_returns_the_endpoint_with_a_whsec_secret_of_32_random_bytes(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        var outcome = await admin.CreateWebhook(transport, Receiver, "  Orders service  ", "sync_complete", "record_created", "sync_complete");
        var second = (await admin.CreateWebhook(transport, Receiver)).Ok();

        var webhook = outcome.Ok();
        Assert.True(Guid.TryParseExact(webhook.Id, "D", out _), webhook.Id);
        Assert.Equal(Receiver, webhook.Url);
        Assert.Equal("Orders service", webhook.Description);
        Assert.Equal(["sync_complete", "record_created"], webhook.Events); // duplicates dropped, order kept
        Assert.True(webhook.Enabled);
        Assert.False(webhook.HasDisabledReason);
        Assert.InRange(webhook.CreatedAt.ToDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        Assert.Equal(webhook.CreatedAt, webhook.UpdatedAt);
        Assert.Null(webhook.LastSuccessAt);
        Assert.Null(webhook.FailingSince);
        Assert.Null(webhook.PreviousSecretExpiresAt);
        AssertSecretFormat(webhook.Secret);
        AssertSecretFormat(second.Secret);
        Assert.NotEqual(webhook.Secret, second.Secret);
        Assert.Empty(second.Events); // none given = every type
        if (transport == Transport.Rest)
        {
            var json = outcome.RestJson();
            Assert.Equal(webhook.Secret, json.GetProperty("secret").GetString());
            Assert.Equal("sync_complete", json.GetProperty("events")[0].GetString());
            Assert.True(json.GetProperty("enabled").GetBoolean());
        }

        // At rest the secret is protected, and unprotects (with the purpose delivery uses) to what was shown.
        var stored = (await Store.GetWebhookAsync(admin.ProjectId, Guid.Parse(webhook.Id)))!;
        Assert.DoesNotContain(webhook.Secret, stored.ProtectedSecret, StringComparison.Ordinal);
        Assert.Equal(webhook.Secret, Unprotect(stored.ProtectedSecret));
    }

    [Theory, BothTransports]
    public async Task Get_and_list_never_return_the_secret(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var created = await admin.NewWebhook(Receiver);
        var rotated = (await admin.RotateWebhookSecret(Transport.Grpc, created.Id)).Ok();

        var get = await admin.GetWebhook(transport, created.Id);
        var list = await admin.ListWebhooks(transport);

        Assert.False(get.Ok().HasSecret);
        Assert.All(list.Ok().Data, w => Assert.False(w.HasSecret));
        if (transport == Transport.Rest)
        {
            Assert.False(get.RestJson().TryGetProperty("secret", out _), get.Text);
            foreach (var secret in new[] { created.Secret, rotated.Secret })
            {
                Assert.DoesNotContain(secret, get.Text, StringComparison.Ordinal);
                Assert.DoesNotContain(secret, list.Text, StringComparison.Ordinal);
            }
        }
        Assert.DoesNotContain(created.Secret, get.Value!.ToString(), StringComparison.Ordinal);
    }

    [Theory, BothTransports]
    public async Task Secrets_never_reach_the_log_at_any_level(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var before = Server.Logs.Lines.Count;

        var created = (await admin.CreateWebhook(transport, Receiver)).Ok();
        var rotated = (await admin.RotateWebhookSecret(transport, created.Id, 60)).Ok();
        (await admin.UpdateWebhook(transport, created.Id, description: "logged?")).Ok();
        (await admin.ListWebhooks(transport)).Ok();
        (await admin.RotateWebhookSecret(transport, created.Id, -5)).Fails(StatusCode.InvalidArgument);
        var stored = (await Store.GetWebhookAsync(admin.ProjectId, Guid.Parse(created.Id)))!;

        var lines = Server.Logs.Lines.Skip(before).ToArray();
        Assert.True(lines.Length > 10, $"Only {lines.Length} log lines: is the capture at Trace level?"); // the requests themselves log
        foreach (var secret in new[] { created.Secret, rotated.Secret, stored.ProtectedSecret, stored.ProtectedPreviousSecret! })
        {
            var key = secret.StartsWith("whsec_", StringComparison.Ordinal) ? secret["whsec_".Length..] : secret;
            Assert.DoesNotContain(lines, line => line.Contains(key, StringComparison.Ordinal));
        }
    }

    [Theory, BothTransports]
    public async Task Create_get_list_update_delete_round_trip(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        var created = (await admin.CreateWebhook(transport, Receiver, "first", "sync_errored")).Ok();
        var got = (await admin.GetWebhook(transport, created.Id)).Ok();
        var expected = created.Clone();
        expected.ClearSecret();
        Assert.Equal(expected, got);
        Assert.Equal(new[] { expected }, (await admin.ListWebhooks(transport)).Ok().Data);

        var updated = (await admin.UpdateWebhook(transport, created.Id, url: "https://127.0.0.1:9443/v2", description: "second")).Ok();
        Assert.Equal("https://127.0.0.1:9443/v2", updated.Url);
        Assert.Equal("second", updated.Description);
        Assert.True(updated.UpdatedAt.ToDateTimeOffset() >= created.UpdatedAt.ToDateTimeOffset());
        Assert.Equal(updated, (await admin.GetWebhook(transport, created.Id)).Ok());

        var deleted = (await admin.DeleteWebhook(transport, created.Id)).Ok();
        Assert.Equal(created.Id, deleted.Id);
        Assert.Equal("Webhook successfully deleted", deleted.Message);

        Assert.Equal("WEBHOOK_NOT_FOUND", (await admin.GetWebhook(transport, created.Id)).Fails(StatusCode.NotFound).Reason());
        Assert.Equal("WEBHOOK_NOT_FOUND", (await admin.DeleteWebhook(transport, created.Id)).Fails(StatusCode.NotFound).Reason());
        Assert.Equal("WEBHOOK_NOT_FOUND", (await admin.UpdateWebhook(transport, created.Id, enabled: false)).Fails(StatusCode.NotFound).Reason());
        Assert.Equal("WEBHOOK_NOT_FOUND", (await admin.RotateWebhookSecret(transport, created.Id)).Fails(StatusCode.NotFound).Reason());
        Assert.Empty((await admin.ListWebhooks(transport)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task Patch_changes_only_the_fields_sent(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var created = await admin.NewWebhook(Receiver, "note", "sync_complete", "sync_errored");

        var described = (await admin.UpdateWebhook(transport, created.Id, description: "new note")).Ok();
        Assert.Equal(("new note", Receiver, true), (described.Description, described.Url, described.Enabled));
        Assert.Equal(["sync_complete", "sync_errored"], described.Events);

        var narrowed = (await admin.UpdateWebhook(transport, created.Id, events: ["record_deleted"])).Ok();
        Assert.Equal(["record_deleted"], narrowed.Events);
        Assert.Equal("new note", narrowed.Description);

        var everything = (await admin.UpdateWebhook(transport, created.Id, events: [])).Ok(); // sent empty = every type
        Assert.Empty(everything.Events);

        var cleared = (await admin.UpdateWebhook(transport, created.Id, description: "")).Ok();
        Assert.Equal("", cleared.Description);
        Assert.Empty(cleared.Events);

        var disabled = (await admin.UpdateWebhook(transport, created.Id, enabled: false)).Ok();
        Assert.False(disabled.Enabled);
        Assert.Equal(WebhookRules.DisabledByAdministrator, disabled.DisabledReason);
        Assert.Equal(Receiver, disabled.Url);

        var reenabled = (await admin.UpdateWebhook(transport, created.Id, enabled: true)).Ok();
        Assert.True(reenabled.Enabled);
        Assert.False(reenabled.HasDisabledReason);

        // The secret is untouched by every PATCH.
        var stored = (await Store.GetWebhookAsync(admin.ProjectId, Guid.Parse(created.Id)))!;
        Assert.Equal(created.Secret, Unprotect(stored.ProtectedSecret));
    }

    [Theory, BothTransports]
    public async Task Enabling_an_endpoint_delivery_disabled_clears_its_reason_and_failure_clock(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var created = await admin.NewWebhook(Receiver);
        var since = DateTimeOffset.UtcNow.AddDays(-5).TruncateToMilliseconds();
        var success = since.AddDays(-1);
        // What delivery leaves behind (it writes these columns; the API only reads them).
        await Store.MutateWebhookAsync(admin.ProjectId, Guid.Parse(created.Id), e => e with
        {
            Enabled = false,
            DisabledReason = "No successful delivery for 5 days.",
            FailingSince = since,
            LastSuccessAt = success,
        });

        var failing = (await admin.GetWebhook(transport, created.Id)).Ok();
        Assert.Equal("No successful delivery for 5 days.", failing.DisabledReason);
        Assert.Equal(since, failing.FailingSince.ToDateTimeOffset());

        // Disabling again keeps delivery's reason (it says more than "by an administrator").
        Assert.Equal("No successful delivery for 5 days.", (await admin.UpdateWebhook(transport, created.Id, enabled: false)).Ok().DisabledReason);

        var enabled = (await admin.UpdateWebhook(transport, created.Id, enabled: true)).Ok();
        Assert.True(enabled.Enabled);
        Assert.False(enabled.HasDisabledReason);
        Assert.Null(enabled.FailingSince);
        Assert.Equal(success, enabled.LastSuccessAt.ToDateTimeOffset()); // history stays
    }

    [Theory, BothTransports]
    public async Task Patch_with_nothing_to_change_is_invalid(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var created = await admin.NewWebhook(Receiver);

        var error = (await admin.UpdateWebhook(transport, created.Id)).Fails(StatusCode.InvalidArgument);

        Assert.Contains("at least one", error.Violation("body"), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Patch_events_must_be_a_json_array_of_strings()
    {
        var admin = Server.NewProjectAdmin();
        var created = await admin.NewWebhook(Receiver, "", "sync_complete");

        var numbers = await admin.RestCall<Webhook>(HttpMethod.Patch, $"/api/webhooks/{created.Id}", """{"events":["sync_errored", 7]}""");
        var notArray = await admin.RestCall<Webhook>(HttpMethod.Patch, $"/api/webhooks/{created.Id}", """{"events":"sync_errored"}""");

        Assert.Contains("must be a string", numbers.Fails(StatusCode.InvalidArgument).Violation("events[1]"), StringComparison.Ordinal);
        Assert.Equal("INVALID_JSON", notArray.Fails(StatusCode.InvalidArgument).Reason());
        Assert.Equal(["sync_complete"], (await admin.GetWebhook(Transport.Grpc, created.Id)).Ok().Events);
    }

    [Theory, BothTransports]
    public async Task Rotate_keeps_the_previous_secret_stored_until_the_grace_period_ends(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var created = await admin.NewWebhook(Receiver);
        var id = Guid.Parse(created.Id);

        var before = DateTimeOffset.UtcNow;
        var rotated = (await admin.RotateWebhookSecret(transport, created.Id, graceSeconds: 3600)).Ok();
        var after = DateTimeOffset.UtcNow;

        AssertSecretFormat(rotated.Secret);
        Assert.NotEqual(created.Secret, rotated.Secret);
        Assert.InRange(rotated.PreviousSecretExpiresAt.ToDateTimeOffset(), before.AddHours(1).AddSeconds(-1), after.AddHours(1).AddSeconds(1));
        var stored = (await Store.GetWebhookAsync(admin.ProjectId, id))!;
        Assert.Equal(rotated.Secret, Unprotect(stored.ProtectedSecret));
        Assert.Equal(created.Secret, Unprotect(stored.ProtectedPreviousSecret!));
        Assert.Equal(rotated.PreviousSecretExpiresAt.ToDateTimeOffset(), stored.PreviousSecretExpiresAt);
        Assert.Equal(rotated.PreviousSecretExpiresAt, (await admin.GetWebhook(transport, created.Id)).Ok().PreviousSecretExpiresAt);

        // Absent grace: 24 h, and the secret it replaces is the one that keeps signing.
        var again = (await admin.RotateWebhookSecret(transport, created.Id)).Ok();
        Assert.InRange(again.PreviousSecretExpiresAt.ToDateTimeOffset(), before.AddHours(24).AddSeconds(-1), DateTimeOffset.UtcNow.AddHours(24).AddSeconds(1));
        stored = (await Store.GetWebhookAsync(admin.ProjectId, id))!;
        Assert.Equal(again.Secret, Unprotect(stored.ProtectedSecret));
        Assert.Equal(rotated.Secret, Unprotect(stored.ProtectedPreviousSecret!));

        // Zero: the old secret stops at once.
        var immediate = (await admin.RotateWebhookSecret(transport, created.Id, graceSeconds: 0)).Ok();
        Assert.Null(immediate.PreviousSecretExpiresAt);
        stored = (await Store.GetWebhookAsync(admin.ProjectId, id))!;
        Assert.Equal(immediate.Secret, Unprotect(stored.ProtectedSecret));
        Assert.Null(stored.ProtectedPreviousSecret);
        Assert.Null(stored.PreviousSecretExpiresAt);
    }

    [Theory, BothTransports]
    public async Task Rotate_refuses_a_grace_period_out_of_bounds(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var created = await admin.NewWebhook(Receiver);

        foreach (var grace in new[] { -1, 604_801, int.MaxValue, int.MinValue })
        {
            var error = (await admin.RotateWebhookSecret(transport, created.Id, grace)).Fails(StatusCode.InvalidArgument);
            Assert.Contains("604800", error.Violation("graceSeconds"), StringComparison.Ordinal);
        }
        Assert.NotNull((await admin.RotateWebhookSecret(transport, created.Id, 604_800)).Ok().PreviousSecretExpiresAt);
        var stored = (await Store.GetWebhookAsync(admin.ProjectId, Guid.Parse(created.Id)))!;
        Assert.Equal(created.Secret, Unprotect(stored.ProtectedPreviousSecret!)); // only the accepted rotation happened
    }

    [Theory, BothTransports]
    public async Task Create_names_every_bad_field(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var request = new CreateWebhookRequest { Url = "ftp://127.0.0.1/x", Description = new string('d', 501) };
        request.Events.AddRange(["sync_complete", "sync.complete", "SYNC_ERRORED"]);

        var error = (await admin.CreateWebhook(transport, request)).Fails(StatusCode.InvalidArgument);

        Assert.Equal("INVALID_ARGUMENT", error.Reason());
        Assert.Equal(new[] { "description", "events[1]", "events[2]", "url" }, error.ViolatedFields().Order(StringComparer.Ordinal));
        Assert.Contains("https", error.Violation("url"), StringComparison.Ordinal);
        Assert.Contains("sync_complete, sync_errored", error.Violation("events[1]"), StringComparison.Ordinal);
        Assert.Contains("500", error.Violation("description"), StringComparison.Ordinal);
        Assert.Empty((await admin.ListWebhooks(Transport.Grpc)).Ok().Data);
    }

    [Theory, BothTransports]
    public async Task Create_refuses_urls_that_are_not_absolute_https_with_a_host(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        foreach (var (url, expected) in new[]
        {
            ("", "required"),
            ("/relative/path", "absolute"),
            ("hooks.example.com/x", "absolute"),
            ("https://user:pass@127.0.0.1/x", "user info"),
            ("https://127.0.0.1/x#frag", "fragment"),
            ("https://127.0.0.1/a b", "spaces"),
            ("file:///etc/passwd", "absolute"),
            ("gopher://127.0.0.1/", "https or http"),
            ("https://127.0.0.1/" + new string('p', 2048), "2048"),
        })
        {
            var error = (await admin.CreateWebhook(transport, url)).Fails(StatusCode.InvalidArgument);
            Assert.True(error.Violation("url").Contains(expected, StringComparison.Ordinal), $"{url}: {error.Violation("url")}");
        }
    }

    [Theory, BothTransports]
    public async Task Local_receivers_are_allowed_where_private_networks_are(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        var http = (await admin.CreateWebhook(transport, "http://127.0.0.1:5099/hook")).Ok();
        var localhost = (await admin.CreateWebhook(transport, "http://localhost:5099/hook")).Ok();
        var privateAddress = (await admin.CreateWebhook(transport, "https://10.0.0.7/hook")).Ok();

        Assert.Equal("http://127.0.0.1:5099/hook", http.Url);
        Assert.Equal("http://localhost:5099/hook", localhost.Url);
        Assert.Equal("https://10.0.0.7/hook", privateAddress.Url);
        var unresolvable = (await admin.CreateWebhook(transport, "https://no-such-host.invalid/hook")).Fails(StatusCode.InvalidArgument);
        Assert.Equal(WebhookUrlRules.RefusedReason, unresolvable.Reason());
        Assert.Contains("could not be resolved", unresolvable.Message, StringComparison.Ordinal);
    }

    [Theory, BothTransports]
    public async Task Another_projects_endpoint_is_not_found(Transport transport)
    {
        var owner = Server.NewProjectAdmin();
        var other = Server.NewProjectAdmin();
        var webhook = await owner.NewWebhook(Receiver, "theirs");
        var mine = await other.NewWebhook(Receiver, "mine");

        Assert.Equal("WEBHOOK_NOT_FOUND", (await other.GetWebhook(transport, webhook.Id)).Fails(StatusCode.NotFound).Reason());
        (await other.UpdateWebhook(transport, webhook.Id, description: "stolen")).Fails(StatusCode.NotFound);
        (await other.RotateWebhookSecret(transport, webhook.Id)).Fails(StatusCode.NotFound);
        (await other.DeleteWebhook(transport, webhook.Id)).Fails(StatusCode.NotFound);
        Assert.Equal([mine.Id], (await other.ListWebhooks(transport)).Ok().Data.Select(w => w.Id));

        var intact = (await owner.GetWebhook(transport, webhook.Id)).Ok();
        Assert.Equal("theirs", intact.Description);
        var stored = (await Store.GetWebhookAsync(owner.ProjectId, Guid.Parse(webhook.Id)))!;
        Assert.Equal(webhook.Secret, Unprotect(stored.ProtectedSecret));
        Assert.Equal([webhook.Id], (await owner.ListWebhooks(transport)).Ok().Data.Select(w => w.Id));
    }

    [Theory, BothTransports]
    public async Task List_pages_through_every_endpoint_oldest_first(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var created = new List<string>();
        for (var i = 0; i < 5; i++)
        {
            created.Add((await admin.NewWebhook($"https://127.0.0.1:9/{i}")).Id);
            await Task.Delay(2); // distinct creation milliseconds: ids (UUIDv7) then sort by creation
        }

        var seen = new List<string>();
        var tokens = new List<string>();
        var token = "";
        do
        {
            var page = (await admin.ListWebhooks(transport, pageSize: 2, pageToken: token)).Ok();
            Assert.InRange(page.Data.Count, 1, 2);
            seen.AddRange(page.Data.Select(w => w.Id));
            token = page.NextPageToken;
            tokens.Add(token);
        }
        while (token.Length > 0);

        Assert.Equal(created, seen);
        Assert.Equal(3, tokens.Count);
        Assert.Equal(5, (await admin.ListWebhooks(transport)).Ok().Data.Count); // default page of 20
        Assert.Equal("", (await admin.ListWebhooks(transport)).Ok().NextPageToken);
    }

    [Theory, BothTransports]
    public async Task List_refuses_a_bad_page_size_or_token(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        Assert.Contains("100", (await admin.ListWebhooks(transport, pageSize: 101)).Fails(StatusCode.InvalidArgument).Violation("pageSize"), StringComparison.Ordinal);
        (await admin.ListWebhooks(transport, pageSize: -1)).Fails(StatusCode.InvalidArgument).Violation("pageSize");
        var id = Guid.NewGuid().ToString("N");
        foreach (var token in new[]
        {
            "garbage!",                                                   // not base64url
            Base64Url("w1:" + id.ToUpperInvariant()),                     // not the canonical (lower-case) form
            Base64Url("w2:" + id),                                        // another version
            Base64Url("w1:" + id) + "==",                                 // padded
            Base64Url("w1:nothex"),
        })
        {
            (await admin.ListWebhooks(transport, pageToken: token)).Fails(StatusCode.InvalidArgument).Violation("pageToken");
        }
    }

    private static string Base64Url(string text) => System.Buffers.Text.Base64Url.EncodeToString(System.Text.Encoding.ASCII.GetBytes(text));

    [Theory, BothTransports]
    public async Task A_malformed_id_is_invalid_and_an_unknown_one_not_found(Transport transport)
    {
        var admin = Server.NewProjectAdmin();

        Assert.Contains("UUID", (await admin.GetWebhook(transport, "not-a-uuid")).Fails(StatusCode.InvalidArgument).Violation("webhookId"), StringComparison.Ordinal);
        (await admin.DeleteWebhook(transport, "123")).Fails(StatusCode.InvalidArgument).Violation("webhookId");
        (await admin.UpdateWebhook(transport, "x", enabled: true)).Fails(StatusCode.InvalidArgument).Violation("webhookId");
        (await admin.RotateWebhookSecret(transport, "x")).Fails(StatusCode.InvalidArgument).Violation("webhookId");
        Assert.Equal("WEBHOOK_NOT_FOUND", (await admin.GetWebhook(transport, Guid.NewGuid().ToString())).Fails(StatusCode.NotFound).Reason());
    }

    [Theory, BothTransports]
    public async Task Deliveries_of_an_endpoint_without_any_are_an_empty_list_and_another_projects_endpoint_is_not_found(Transport transport)
    {
        var owner = Server.NewProjectAdmin();
        var other = Server.NewProjectAdmin();
        var webhook = await owner.NewWebhook(Receiver);

        var empty = (await owner.ListWebhookDeliveries(transport, webhook.Id, state: "failed")).Ok();
        Assert.Empty(empty.Data);
        Assert.Equal("", empty.NextPageToken);
        Assert.Equal("WEBHOOK_NOT_FOUND", (await other.ListWebhookDeliveries(transport, webhook.Id)).Fails(StatusCode.NotFound).Reason());
        Assert.Equal("WEBHOOK_NOT_FOUND",
            (await other.RedeliverWebhookDelivery(transport, webhook.Id, Guid.NewGuid().ToString())).Fails(StatusCode.NotFound).Reason());
        Assert.Equal("WEBHOOK_DELIVERY_NOT_FOUND",
            (await owner.RedeliverWebhookDelivery(transport, webhook.Id, Guid.NewGuid().ToString())).Fails(StatusCode.NotFound).Reason());
        Assert.Equal("WEBHOOK_NOT_FOUND",
            (await owner.ListWebhookDeliveries(transport, Guid.NewGuid().ToString())).Fails(StatusCode.NotFound).Reason());
    }

    [Theory, BothTransports]
    public async Task Listing_deliveries_names_every_bad_parameter(Transport transport)
    {
        var admin = Server.NewProjectAdmin();
        var webhook = await admin.NewWebhook(Receiver);

        var bad = (await admin.ListWebhookDeliveries(transport, "not-a-uuid", pageSize: 101, state: "done")).Fails(StatusCode.InvalidArgument);
        Assert.Equal(["webhookId", "pageSize", "state"], bad.ViolatedFields());
        Assert.Contains("pending, succeeded, failed", bad.Violation("state"), StringComparison.Ordinal);
        foreach (var state in new[] { "1", "Pending,Failed", "PENDING ", "unspecified" })
        {
            (await admin.ListWebhookDeliveries(transport, webhook.Id, state: state)).Fails(StatusCode.InvalidArgument).Violation("state");
        }
        foreach (var state in new[] { "pending", "SUCCEEDED", "Failed" })
        {
            (await admin.ListWebhookDeliveries(transport, webhook.Id, state: state)).Ok();
        }
        var otherEndpoint = DeliveryPageToken.Encode(Guid.NewGuid(), new DeliveryPosition(DateTimeOffset.UnixEpoch.AddDays(1), Guid.NewGuid()));
        foreach (var token in new[] { "garbage!", otherEndpoint, Base64Url($"d1:{Guid.Parse(webhook.Id):N}:-5:{Guid.NewGuid():N}") })
        {
            (await admin.ListWebhookDeliveries(transport, webhook.Id, pageToken: token)).Fails(StatusCode.InvalidArgument).Violation("pageToken");
        }
        var ids = (await admin.RedeliverWebhookDelivery(transport, "x", "y")).Fails(StatusCode.InvalidArgument);
        Assert.Equal(["webhookId", "deliveryId"], ids.ViolatedFields());
        (await admin.RedeliverWebhookDelivery(transport, webhook.Id, "123")).Fails(StatusCode.InvalidArgument).Violation("deliveryId");
    }
}
