namespace GrpcSync.Domain.Webhooks;

/// <summary>A PATCH of an endpoint, already validated: null = not sent (unchanged).</summary>
public sealed record WebhookUpdate(string? Url, IReadOnlyList<string>? EventTypes, string? Description, bool? Enabled)
{
    public bool IsEmpty => Url is null && EventTypes is null && Description is null && Enabled is null;
}
