using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Domain.Tests.Webhooks;

/// <summary>Event-type lists, descriptions, PATCH presence, rotation and its grace period; and the secret's form.</summary>
public class WebhookRulesTests
{
    private static readonly DateTimeOffset T0 = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);

    private static WebhookEndpoint Endpoint() => new()
    {
        Id = Guid.Parse("01936f1e-0000-7000-8000-000000000001"),
        ProjectId = "p",
        Url = "https://hooks.example.com/a",
        Description = "note",
        EventTypes = ["sync_complete"],
        ProtectedSecret = "protected-1",
        CreatedAt = T0,
        UpdatedAt = T0,
    };

    [Fact]
    public void Event_types_must_be_known_and_duplicates_collapse_in_first_order()
    {
        var violations = new List<FieldViolation>();

        var kept = WebhookRules.EventTypes("events", ["record_deleted", "sync_complete", "record_deleted", "Sync_Complete", ""], violations);

        Assert.Equal(["record_deleted", "sync_complete"], kept);
        Assert.Equal(["events[3]", "events[4]"], violations.Select(v => v.Field));
        Assert.Contains("known types: sync_complete, sync_errored", violations[0].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_catalogue_type_is_accepted()
    {
        var violations = new List<FieldViolation>();

        Assert.Equal(EventTypes.All, WebhookRules.EventTypes("events", EventTypes.All, violations));
        Assert.Empty(violations);
    }

    [Theory]
    [InlineData(null, "", true)]
    [InlineData("  padded  ", "padded", true)]
    [InlineData("line\nbreak", "line\nbreak", false)]
    public void Descriptions_are_trimmed_and_without_control_characters(string? given, string expected, bool valid)
    {
        var violations = new List<FieldViolation>();

        Assert.Equal(expected, WebhookRules.Description("description", given, violations));
        Assert.Equal(valid, violations.Count == 0);
    }

    [Fact]
    public void Descriptions_are_capped()
    {
        var violations = new List<FieldViolation>();
        WebhookRules.Description("description", new string('a', 500), violations);
        Assert.Empty(violations);
        WebhookRules.Description("description", new string('a', 501), violations);
        Assert.Equal("description", Assert.Single(violations).Field);
    }

    [Theory]
    [InlineData(null, 86_400, true)]
    [InlineData(0, 0, true)]
    [InlineData(604_800, 604_800, true)]
    [InlineData(604_801, 86_400, false)]
    [InlineData(-1, 86_400, false)]
    public void Grace_defaults_to_a_day_and_is_bounded_by_a_week(int? seconds, int expected, bool valid)
    {
        var violations = new List<FieldViolation>();

        Assert.Equal(TimeSpan.FromSeconds(expected), WebhookRules.Grace("graceSeconds", seconds, violations));
        Assert.Equal(valid, violations.Count == 0);
    }

    [Fact]
    public void Update_changes_only_what_is_sent()
    {
        var endpoint = Endpoint();
        var now = T0.AddMinutes(1);

        var described = WebhookRules.Update(endpoint, new WebhookUpdate(null, null, "new", null), now);
        var retyped = WebhookRules.Update(endpoint, new WebhookUpdate(null, [], null, null), now);
        var moved = WebhookRules.Update(endpoint, new WebhookUpdate("https://b.example/", null, null, null), now);

        Assert.Equal(endpoint with { Description = "new", UpdatedAt = now }, described);
        Assert.Empty(retyped.EventTypes);
        Assert.Equal(endpoint with { EventTypes = retyped.EventTypes, UpdatedAt = now }, retyped);
        Assert.Equal(endpoint with { Url = "https://b.example/", UpdatedAt = now }, moved);
        Assert.True(new WebhookUpdate(null, null, null, null).IsEmpty);
        Assert.False(new WebhookUpdate(null, [], null, null).IsEmpty);
    }

    [Fact]
    public void Disabling_records_the_administrator_and_enabling_clears_reason_and_failure_clock()
    {
        var endpoint = Endpoint() with { LastSuccessAt = T0, FailingSince = T0.AddHours(1) };
        var now = T0.AddDays(1);

        var disabled = WebhookRules.Update(endpoint, new WebhookUpdate(null, null, null, false), now);
        Assert.False(disabled.Enabled);
        Assert.Equal(WebhookRules.DisabledByAdministrator, disabled.DisabledReason);
        Assert.Equal(endpoint.FailingSince, disabled.FailingSince);

        var byDelivery = endpoint with { Enabled = false, DisabledReason = "No success for 5 days." };
        Assert.Equal("No success for 5 days.", WebhookRules.Update(byDelivery, new WebhookUpdate(null, null, null, false), now).DisabledReason);

        var enabled = WebhookRules.Update(byDelivery, new WebhookUpdate(null, null, null, true), now);
        Assert.True(enabled.Enabled);
        Assert.Null(enabled.DisabledReason);
        Assert.Null(enabled.FailingSince);
        Assert.Equal(T0, enabled.LastSuccessAt);

        // Enabling an endpoint that is already enabled does not reset its failure clock.
        Assert.Equal(endpoint.FailingSince, WebhookRules.Update(endpoint, new WebhookUpdate(null, null, null, true), now).FailingSince);
    }

    [Fact]
    public void Rotation_keeps_the_replaced_secret_for_the_grace_period_only()
    {
        var endpoint = Endpoint();
        var now = T0.AddHours(2);

        var rotated = WebhookRules.Rotate(endpoint, "protected-2", TimeSpan.FromHours(1), now);
        Assert.Equal(("protected-2", "protected-1", now.AddHours(1), now), (rotated.ProtectedSecret, rotated.ProtectedPreviousSecret, rotated.PreviousSecretExpiresAt, rotated.UpdatedAt));

        var again = WebhookRules.Rotate(rotated, "protected-3", WebhookRules.DefaultGrace, now.AddMinutes(1));
        Assert.Equal(("protected-3", "protected-2"), (again.ProtectedSecret, again.ProtectedPreviousSecret)); // the oldest is gone

        var immediate = WebhookRules.Rotate(again, "protected-4", TimeSpan.Zero, now);
        Assert.Equal("protected-4", immediate.ProtectedSecret);
        Assert.Null(immediate.ProtectedPreviousSecret);
        Assert.Null(immediate.PreviousSecretExpiresAt);
    }

    [Fact]
    public void Secrets_are_whsec_base64_and_decode_back()
    {
        var key = Enumerable.Range(1, WebhookSecret.KeyBytes).Select(i => (byte)i).ToArray();

        var secret = WebhookSecret.Format(key);

        Assert.Equal("whsec_" + Convert.ToBase64String(key), secret);
        Assert.True(WebhookSecret.TryDecode(secret, out var decoded));
        Assert.Equal(key, decoded);
        // The Standard Webhooks test vector's secret decodes too.
        Assert.True(WebhookSecret.TryDecode("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out var vector));
        Assert.Equal(24, vector.Length);
        Assert.False(WebhookSecret.TryDecode("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", out _));
        Assert.False(WebhookSecret.TryDecode("whsec_not base64!", out _));
        Assert.False(WebhookSecret.TryDecode("whsec_", out _));
    }

    [Fact]
    public void An_endpoint_without_types_wants_every_event()
    {
        Assert.True((Endpoint() with { EventTypes = [] }).Wants(EventTypes.RecordDeleted));
        Assert.True(Endpoint().Wants(EventTypes.SyncComplete));
        Assert.False(Endpoint().Wants(EventTypes.SyncErrored));
    }
}
