namespace GrpcSync.Domain.Webhooks;

/// <summary>What one attempt's outcome does to its endpoint's health.</summary>
public enum EndpointEffect
{
    /// <summary>Nothing was sent (the attempt was dropped before sending).</summary>
    None,

    /// <summary>2xx: last_success_at = the attempt, failing_since cleared.</summary>
    Succeeded,

    /// <summary>Any failure: failing_since set if it was not already.</summary>
    Failed,

    /// <summary>410 Gone: the endpoint is disabled and its pending deliveries fail.</summary>
    Gone,
}
