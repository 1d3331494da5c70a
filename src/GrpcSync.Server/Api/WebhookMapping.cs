using Google.Protobuf.WellKnownTypes;
using GrpcSync.Domain.Webhooks;
using GrpcSync.V1;

namespace GrpcSync.Server.Api;

/// <summary>Domain webhook endpoint → the API's <see cref="Webhook"/>. Protected secrets never leave; a plain one only when given.</summary>
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

    private static Timestamp? Ts(DateTimeOffset? value) => value is { } v ? Timestamp.FromDateTimeOffset(v) : null;
}
