using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Storage.Tests;

/// <summary>Webhook endpoints: inserted, read, paged, changed under a lock and deleted, always within one project.</summary>
public abstract partial class SyncStoreContract
{
    // ================= Webhook endpoints =================

    private IWebhookStore Webhooks => (IWebhookStore)Store;

    private static WebhookEndpoint NewWebhook(string projectId, DateTimeOffset at, string url = "https://hooks.example.com/a") => new()
    {
        Id = Guid.CreateVersion7(at),
        ProjectId = projectId,
        Url = url,
        ProtectedSecret = "CfDJ8-protected-" + Guid.NewGuid().ToString("N"),
        CreatedAt = at,
        UpdatedAt = at,
    };

    [Fact]
    public async Task InsertWebhook_ThenGetWebhook_RoundTripsEveryField()
    {
        var endpoint = NewWebhook("project-1", T0) with
        {
            Description = "Ünïcode 'note'",
            EventTypes = ["sync_complete", "record_deleted"],
            Enabled = false,
            DisabledReason = "Disabled by an administrator.",
            ProtectedPreviousSecret = "CfDJ8-previous",
            PreviousSecretExpiresAt = T0.AddHours(24),
            UpdatedAt = T0.AddSeconds(5),
            LastSuccessAt = T0.AddSeconds(1),
            FailingSince = T0.AddSeconds(2),
        };

        await Webhooks.InsertWebhookAsync(endpoint);

        var stored = await Webhooks.GetWebhookAsync("project-1", endpoint.Id);
        Assert.NotNull(stored);
        Assert.Equal(endpoint with { EventTypes = [] }, stored with { EventTypes = [] }); // lists compare by reference
        Assert.Equal(["sync_complete", "record_deleted"], stored.EventTypes);
        Assert.Equal(TimeSpan.Zero, stored.CreatedAt.Offset);
    }

    [Fact]
    public async Task InsertWebhook_Defaults_ReadBackAsEveryTypeEnabledAndHealthy()
    {
        var endpoint = NewWebhook("project-1", T0);

        await Webhooks.InsertWebhookAsync(endpoint);

        var stored = (await Webhooks.GetWebhookAsync("project-1", endpoint.Id))!;
        Assert.Empty(stored.EventTypes);
        Assert.True(stored.Enabled);
        Assert.Null(stored.DisabledReason);
        Assert.Null(stored.ProtectedPreviousSecret);
        Assert.Null(stored.PreviousSecretExpiresAt);
        Assert.Null(stored.LastSuccessAt);
        Assert.Null(stored.FailingSince);
        Assert.Equal("", stored.Description);
    }

    [Fact]
    public async Task InsertWebhook_ExistingId_Throws()
    {
        var endpoint = NewWebhook("project-1", T0);
        await Webhooks.InsertWebhookAsync(endpoint);

        await Assert.ThrowsAsync<InvalidOperationException>(() => Webhooks.InsertWebhookAsync(endpoint with { Url = "https://other.example.com/" }));
        Assert.Equal("https://hooks.example.com/a", (await Webhooks.GetWebhookAsync("project-1", endpoint.Id))!.Url);
    }

    [Fact]
    public async Task Webhooks_OfAnotherProject_AreNeitherReadNorChangedNorDeleted()
    {
        var endpoint = NewWebhook("project-1", T0);
        await Webhooks.InsertWebhookAsync(endpoint);

        Assert.Null(await Webhooks.GetWebhookAsync("project-2", endpoint.Id));
        Assert.Empty(await Webhooks.ListWebhooksAsync("project-2", null, 10));
        var called = false;
        Assert.Null(await Webhooks.MutateWebhookAsync("project-2", endpoint.Id, e => { called = true; return e with { Url = "https://x.example/" }; }));
        Assert.False(called);
        Assert.False(await Webhooks.DeleteWebhookAsync("project-2", endpoint.Id));

        Assert.Equal(endpoint.Url, (await Webhooks.GetWebhookAsync("project-1", endpoint.Id))!.Url);
        Assert.Null(await Webhooks.GetWebhookAsync("project-1", Guid.NewGuid()));
    }

    [Fact]
    public async Task ListWebhooks_PagesInIdOrderAfterTheGivenId()
    {
        var endpoints = new List<WebhookEndpoint>();
        for (var i = 0; i < 5; i++)
        {
            var endpoint = NewWebhook("project-1", T0.AddMilliseconds(i), $"https://hooks.example.com/{i}");
            endpoints.Add(endpoint);
        }
        foreach (var endpoint in endpoints.AsEnumerable().Reverse()) // insert order must not matter
        {
            await Webhooks.InsertWebhookAsync(endpoint);
        }
        await Webhooks.InsertWebhookAsync(NewWebhook("project-2", T0));

        var first = await Webhooks.ListWebhooksAsync("project-1", null, 2);
        var second = await Webhooks.ListWebhooksAsync("project-1", first[^1].Id, 2);
        var third = await Webhooks.ListWebhooksAsync("project-1", second[^1].Id, 2);
        var beyond = await Webhooks.ListWebhooksAsync("project-1", third[^1].Id, 2);

        Assert.Equal(endpoints.Select(e => e.Id), first.Concat(second).Concat(third).Select(e => e.Id));
        Assert.Single(third);
        Assert.Empty(beyond);
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Webhooks.ListWebhooksAsync("project-1", null, 0));
    }

    [Fact]
    public async Task MutateWebhook_WritesWhatTheChangeReturns()
    {
        var endpoint = NewWebhook("project-1", T0) with { FailingSince = T0, Enabled = false, DisabledReason = "failing" };
        await Webhooks.InsertWebhookAsync(endpoint);

        var changed = await Webhooks.MutateWebhookAsync("project-1", endpoint.Id, e => e with
        {
            Url = "https://new.example.com/h",
            EventTypes = ["sync_errored"],
            Description = "new",
            Enabled = true,
            DisabledReason = null,
            FailingSince = null,
            ProtectedSecret = "CfDJ8-new",
            ProtectedPreviousSecret = e.ProtectedSecret,
            PreviousSecretExpiresAt = T0.AddDays(1),
            UpdatedAt = T0.AddMinutes(1),
        });

        var stored = (await Webhooks.GetWebhookAsync("project-1", endpoint.Id))!;
        Assert.Equal(changed! with { EventTypes = [] }, stored with { EventTypes = [] });
        Assert.Equal(["sync_errored"], stored.EventTypes);
        Assert.Equal(endpoint.ProtectedSecret, stored.ProtectedPreviousSecret);
        Assert.Equal("CfDJ8-new", stored.ProtectedSecret);
        Assert.Null(stored.FailingSince);
        Assert.Equal(endpoint.CreatedAt, stored.CreatedAt);
    }

    [Fact]
    public async Task MutateWebhook_ThatThrows_ChangesNothing()
    {
        var endpoint = NewWebhook("project-1", T0);
        await Webhooks.InsertWebhookAsync(endpoint);

        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Webhooks.MutateWebhookAsync("project-1", endpoint.Id, _ => throw new InvalidOperationException("refused")));
        await Assert.ThrowsAsync<InvalidOperationException>(() =>
            Webhooks.MutateWebhookAsync("project-1", endpoint.Id, e => e with { ProjectId = "project-2" }));

        Assert.Equal(endpoint.Url, (await Webhooks.GetWebhookAsync("project-1", endpoint.Id))!.Url);
        Assert.Null(await Webhooks.GetWebhookAsync("project-2", endpoint.Id));
    }

    [Fact]
    public async Task MutateWebhook_Concurrent_LosesNoChange()
    {
        var endpoint = NewWebhook("project-1", T0);
        await Webhooks.InsertWebhookAsync(endpoint);

        // Each change appends one character to the description: a lost update would drop one.
        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() =>
            Webhooks.MutateWebhookAsync("project-1", endpoint.Id, e => e with { Description = e.Description + i }))));

        var description = (await Webhooks.GetWebhookAsync("project-1", endpoint.Id))!.Description;
        Assert.Equal("01234567", string.Concat(description.Order()));
    }

    [Fact]
    public async Task DeleteWebhook_RemovesItAndItsDeliveries()
    {
        var endpoint = NewWebhook("project-1", T0);
        var other = NewWebhook("project-1", T0.AddMilliseconds(1));
        await Webhooks.InsertWebhookAsync(endpoint);
        await Webhooks.InsertWebhookAsync(other);
        foreach (var (owner, count) in new[] { (endpoint.Id, 2), (other.Id, 1) })
        {
            for (var i = 0; i < count; i++)
            {
                await Database.ExecuteUncheckedAsync(
                    "INSERT INTO webhook_deliveries (id, endpoint_id, event_id, project_id, state, created_at, updated_at) " +
                    $"VALUES ('{Guid.NewGuid():D}', '{owner:D}', '{Guid.NewGuid():D}', 'project-1', 'Pending', 0, 0)");
            }
        }
        Assert.Equal(3, await Database.CountRowsAsync("webhook_deliveries"));

        Assert.True(await Webhooks.DeleteWebhookAsync("project-1", endpoint.Id));

        Assert.Null(await Webhooks.GetWebhookAsync("project-1", endpoint.Id));
        Assert.Equal(1, await Database.CountRowsAsync("webhook_deliveries")); // the other endpoint's stays
        Assert.False(await Webhooks.DeleteWebhookAsync("project-1", endpoint.Id));
        Assert.NotNull(await Webhooks.GetWebhookAsync("project-1", other.Id));
    }
}
