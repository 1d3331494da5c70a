using Grpc.Core;
using GrpcSync.Domain;
using GrpcSync.Domain.Webhooks;
using GrpcSync.Server.Auth;
using GrpcSync.Storage;
using GrpcSync.V1;

namespace GrpcSync.Server.Api;

/// <summary>
/// WebhookService's delivery log: an endpoint's deliveries paged newest first with a state filter, and manual
/// redelivery (<see cref="RedeliveryRules"/> decides, under the delivery's row lock). Admin only, like the rest.
/// </summary>
public sealed partial class WebhookApi
{
    public override async Task<ListWebhookDeliveriesResponse> ListWebhookDeliveries(ListWebhookDeliveriesRequest request, ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var problems = new List<FieldViolation>();
        var id = WebhookId(request.WebhookId, problems);
        if (request.PageSize is < 0 or > DeliveryPageToken.MaxPageSize)
        {
            problems.Add(new FieldViolation("pageSize",
                $"pageSize must be between 1 and {DeliveryPageToken.MaxPageSize} (0 or absent means {DeliveryPageToken.DefaultPageSize})."));
        }
        var state = DeliveryStateFilter(request.State, problems);
        DeliveryPosition? before = null;
        if (request.PageToken.Length > 0 && id is { } endpointId && !DeliveryPageToken.TryDecode(request.PageToken, endpointId, out before))
        {
            problems.Add(new FieldViolation("pageToken",
                "pageToken is not a nextPageToken of ListWebhookDeliveries for this webhook; start again without it."));
        }
        ThrowIfAny(problems);

        // An unknown endpoint is NOT_FOUND rather than an empty list (another project's one too).
        _ = await store.GetWebhookAsync(scope.ProjectId, id!.Value, context.CancellationToken) ?? throw WebhookRules.NotFound(request.WebhookId);
        var pageSize = request.PageSize == 0 ? DeliveryPageToken.DefaultPageSize : request.PageSize;
        var page = await store.ListDeliveriesAsync(scope.ProjectId, id.Value, state, before, pageSize + 1, context.CancellationToken);
        var response = new ListWebhookDeliveriesResponse();
        response.Data.AddRange(page.Take(pageSize).Select(d => d.ToProto()));
        if (page.Count > pageSize)
        {
            var last = page[pageSize - 1];
            response.NextPageToken = DeliveryPageToken.Encode(id.Value, new DeliveryPosition(last.CreatedAt, last.Id));
        }
        return response;
    }

    public override async Task<V1.WebhookDelivery> RedeliverWebhookDelivery(RedeliverWebhookDeliveryRequest request, ServerCallContext context)
    {
        var scope = context.RequireAdmin();
        var problems = new List<FieldViolation>();
        var webhookId = WebhookId(request.WebhookId, problems);
        var deliveryId = DeliveryId(request.DeliveryId, problems);
        ThrowIfAny(problems);

        _ = await store.GetWebhookAsync(scope.ProjectId, webhookId!.Value, context.CancellationToken) ?? throw WebhookRules.NotFound(request.WebhookId);
        var now = Now();
        var queued = await store.MutateDeliveryAsync(scope.ProjectId, webhookId.Value, deliveryId!.Value,
                (endpoint, delivery) => RedeliveryRules.Redeliver(endpoint, delivery, now), context.CancellationToken)
            ?? throw RedeliveryRules.NotFound(request.DeliveryId);
        return queued.ToProto();
    }

    /// <summary>The <c>state</c> filter: empty = every state; otherwise a state's name in any case.</summary>
    private static DeliveryState? DeliveryStateFilter(string raw, List<FieldViolation> problems)
    {
        if (raw.Length == 0)
        {
            return null;
        }
        foreach (var state in Enum.GetValues<DeliveryState>())
        {
            if (string.Equals(raw, state.ToString(), StringComparison.OrdinalIgnoreCase))
            {
                return state; // exact names only: Enum.TryParse would take numbers and "a, b" too
            }
        }
        problems.Add(new FieldViolation("state",
            $"state must be one of pending, succeeded, failed (or absent for every state), got '{(raw.Length <= 64 ? raw : raw[..64] + "…")}'."));
        return null;
    }

    /// <summary>The path's delivery id (a UUID), or null with a violation.</summary>
    private static Guid? DeliveryId(string raw, List<FieldViolation> problems)
    {
        if (Guid.TryParseExact(raw, "D", out var id))
        {
            return id;
        }
        problems.Add(new FieldViolation("deliveryId", string.IsNullOrEmpty(raw)
            ? "deliveryId is required."
            : $"deliveryId must be a valid UUID (e.g. 3f2504e0-4f89-41d3-9a0c-0305e82c3301), got '{(raw.Length <= 64 ? raw : raw[..64] + "…")}'."));
        return null;
    }
}
