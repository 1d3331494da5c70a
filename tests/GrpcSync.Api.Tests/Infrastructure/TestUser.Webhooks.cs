using Google.Protobuf.WellKnownTypes;
using GrpcSync.V1;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>WebhookService calls over either transport (the caller must be an administrator: <see cref="ServerFixture.NewAdmin"/>).</summary>
public sealed partial class TestUser
{
    public Task<Outcome<Webhook>> CreateWebhook(Transport transport, CreateWebhookRequest request) =>
        Call(transport, o => Server.Webhooks.CreateWebhookAsync(request, o), HttpMethod.Post, "/api/webhooks", RestJson.Body(request));

    public Task<Outcome<Webhook>> CreateWebhook(Transport transport, string url, string description = "", params string[] events)
    {
        var request = new CreateWebhookRequest { Url = url, Description = description };
        request.Events.AddRange(events);
        return CreateWebhook(transport, request);
    }

    public Task<Outcome<ListWebhooksResponse>> ListWebhooks(Transport transport, int pageSize = 0, string pageToken = "")
    {
        var query = new List<string>();
        if (pageSize != 0)
        {
            query.Add("pageSize=" + pageSize);
        }
        if (pageToken.Length > 0)
        {
            query.Add("pageToken=" + Uri.EscapeDataString(pageToken));
        }
        return Call(transport,
            o => Server.Webhooks.ListWebhooksAsync(new ListWebhooksRequest { PageSize = pageSize, PageToken = pageToken }, o),
            HttpMethod.Get, "/api/webhooks" + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
    }

    public Task<Outcome<Webhook>> GetWebhook(Transport transport, string webhookId) =>
        Call(transport, o => Server.Webhooks.GetWebhookAsync(new GetWebhookRequest { WebhookId = webhookId }, o),
            HttpMethod.Get, WebhookPath(webhookId));

    /// <summary>UpdateWebhook; over REST the body holds exactly the fields set in <paramref name="request"/>.</summary>
    public Task<Outcome<Webhook>> UpdateWebhook(Transport transport, UpdateWebhookRequest request) =>
        Call(transport, o => Server.Webhooks.UpdateWebhookAsync(request, o), HttpMethod.Patch, WebhookPath(request.WebhookId),
            RestJson.Body(request, "webhookId"));

    /// <summary>UpdateWebhook with only the given fields sent (null = not sent).</summary>
    public Task<Outcome<Webhook>> UpdateWebhook(Transport transport, string webhookId, string? url = null,
        string[]? events = null, string? description = null, bool? enabled = null)
    {
        var request = new UpdateWebhookRequest { WebhookId = webhookId };
        if (url is not null)
        {
            request.Url = url;
        }
        if (events is not null)
        {
            request.Events = new ListValue();
            request.Events.Values.AddRange(events.Select(Value.ForString));
        }
        if (description is not null)
        {
            request.Description = description;
        }
        if (enabled is { } value)
        {
            request.Enabled = value;
        }
        return UpdateWebhook(transport, request);
    }

    public Task<Outcome<DeleteWebhookResponse>> DeleteWebhook(Transport transport, string webhookId) =>
        Call(transport, o => Server.Webhooks.DeleteWebhookAsync(new DeleteWebhookRequest { WebhookId = webhookId }, o),
            HttpMethod.Delete, WebhookPath(webhookId));

    /// <summary>RotateWebhookSecret; <paramref name="graceSeconds"/> null = not sent (the default grace).</summary>
    public Task<Outcome<Webhook>> RotateWebhookSecret(Transport transport, string webhookId, int? graceSeconds = null)
    {
        var request = new RotateWebhookSecretRequest { WebhookId = webhookId };
        if (graceSeconds is { } grace)
        {
            request.GraceSeconds = grace;
        }
        return Call(transport, o => Server.Webhooks.RotateWebhookSecretAsync(request, o), HttpMethod.Post,
            WebhookPath(webhookId) + "/rotate-secret", RestJson.Body(request, "webhookId"));
    }

    /// <summary>ListWebhookDeliveries; over REST only the parameters set go into the query string.</summary>
    public Task<Outcome<ListWebhookDeliveriesResponse>> ListWebhookDeliveries(Transport transport, string webhookId, int pageSize = 0,
        string pageToken = "", string state = "")
    {
        var query = new List<string>();
        if (pageSize != 0)
        {
            query.Add("pageSize=" + pageSize);
        }
        if (pageToken.Length > 0)
        {
            query.Add("pageToken=" + Uri.EscapeDataString(pageToken));
        }
        if (state.Length > 0)
        {
            query.Add("state=" + Uri.EscapeDataString(state));
        }
        var request = new ListWebhookDeliveriesRequest { WebhookId = webhookId, PageSize = pageSize, PageToken = pageToken, State = state };
        return Call(transport, o => Server.Webhooks.ListWebhookDeliveriesAsync(request, o),
            HttpMethod.Get, WebhookPath(webhookId) + "/deliveries" + (query.Count > 0 ? "?" + string.Join('&', query) : ""));
    }

    public Task<Outcome<WebhookDelivery>> RedeliverWebhookDelivery(Transport transport, string webhookId, string deliveryId) =>
        Call(transport,
            o => Server.Webhooks.RedeliverWebhookDeliveryAsync(new RedeliverWebhookDeliveryRequest { WebhookId = webhookId, DeliveryId = deliveryId }, o),
            HttpMethod.Post, WebhookPath(webhookId) + "/deliveries/" + Uri.EscapeDataString(deliveryId) + "/redeliver", "{}");

    /// <summary>Creates an endpoint (asserting success) at a local receiver URL.</summary>
    public async Task<Webhook> NewWebhook(string url = "https://127.0.0.1:9/hook", string description = "", params string[] events) =>
        (await CreateWebhook(Transport.Grpc, url, description, events)).Ok();

    private static string WebhookPath(string webhookId) => "/api/webhooks/" + Uri.EscapeDataString(webhookId);
}
