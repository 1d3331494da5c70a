namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// A project's webhook endpoint (table <c>webhook_endpoints</c>). Secrets are held only in protected
/// (Data Protection) form; the plain secret exists in memory only while it is handed back once on create
/// and rotate. <see cref="EventTypes"/> empty means every event type.
/// </summary>
public sealed record WebhookEndpoint
{
    public required Guid Id { get; init; }
    public required string ProjectId { get; init; }
    public required string Url { get; init; }
    public string Description { get; init; } = "";
    /// <summary>The event types sent to this endpoint, in the order given, without duplicates; empty = all.</summary>
    public IReadOnlyList<string> EventTypes { get; init; } = [];
    public bool Enabled { get; init; } = true;
    /// <summary>Why the endpoint was disabled (by the caller or by delivery); null while enabled.</summary>
    public string? DisabledReason { get; init; }
    public required string ProtectedSecret { get; init; }
    /// <summary>The secret before the last rotation, still signing until <see cref="PreviousSecretExpiresAt"/>.</summary>
    public string? ProtectedPreviousSecret { get; init; }
    public DateTimeOffset? PreviousSecretExpiresAt { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public required DateTimeOffset UpdatedAt { get; init; }
    public DateTimeOffset? LastSuccessAt { get; init; }
    /// <summary>The first failed attempt after the last success; null while healthy.</summary>
    public DateTimeOffset? FailingSince { get; init; }

    /// <summary>Whether an event of <paramref name="eventType"/> goes to this endpoint.</summary>
    public bool Wants(string eventType) => EventTypes.Count == 0 || EventTypes.Contains(eventType, StringComparer.Ordinal);
}
