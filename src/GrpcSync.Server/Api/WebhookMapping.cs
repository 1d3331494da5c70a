using Google.Protobuf.WellKnownTypes;
using GrpcSync.Domain.Webhooks;
using GrpcSync.V1;

namespace GrpcSync.Server.Api;

/// <summary>Domain webhook endpoint → the API's <see cref="Webhook"/>, and a delivery → <see cref="V1.WebhookDelivery"/>. Protected secrets never leave; a plain one only when given.</summary>
public static class WebhookMapping
{
    public static Webhook ToProto(this WebhookEndpoint endpoint, string? secret = null)
    {
        ArgumentNullException.ThrowIfNull(endpoint);
        var webhook = new Webhook
        {
            Id = endpoint.Id.ToString(),
            Url = endpoint.Url,
            Description = endpoint.Description,
            Enabled = endpoint.Enabled,
            CreatedAt = Timestamp.FromDateTimeOffset(endpoint.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(endpoint.UpdatedAt),
            LastSuccessAt = Ts(endpoint.LastSuccessAt),
            FailingSince = Ts(endpoint.FailingSince),
            PreviousSecretExpiresAt = endpoint.ProtectedPreviousSecret is null ? null : Ts(endpoint.PreviousSecretExpiresAt),
        };
        webhook.Events.AddRange(endpoint.EventTypes);
        if (endpoint.DisabledReason is { } reason)
        {
            webhook.DisabledReason = reason;
        }
        if (secret is not null)
        {
            webhook.Secret = secret;
        }
        return webhook;
    }

    public static V1.WebhookDelivery ToProto(this Domain.Webhooks.WebhookDelivery delivery)
    {
        ArgumentNullException.ThrowIfNull(delivery);
        var proto = new V1.WebhookDelivery
        {
            Id = delivery.Id.ToString(),
            WebhookId = delivery.EndpointId.ToString(),
            EventId = delivery.EventId.ToString(),
            State = delivery.State switch
            {
                DeliveryState.Pending => WebhookDeliveryState.Pending,
                DeliveryState.Succeeded => WebhookDeliveryState.Succeeded,
                DeliveryState.Failed => WebhookDeliveryState.Failed,
                _ => WebhookDeliveryState.Unspecified,
            },
            Attempts = delivery.Attempts,
            NextAttemptAt = Ts(delivery.NextAttemptAt),
            LastAttemptAt = Ts(delivery.LastAttemptAt),
            CreatedAt = Timestamp.FromDateTimeOffset(delivery.CreatedAt),
            UpdatedAt = Timestamp.FromDateTimeOffset(delivery.UpdatedAt),
        };
        if (delivery.EventType is { } type)
        {
            proto.EventType = type;
        }
        if (delivery.LastStatusCode is { } code)
        {
            proto.LastStatusCode = code;
        }
        if (delivery.LastError is { } error)
        {
            proto.LastError = error;
        }
        return proto;
    }

    private static Timestamp? Ts(DateTimeOffset? value) => value is { } v ? Timestamp.FromDateTimeOffset(v) : null;
}
