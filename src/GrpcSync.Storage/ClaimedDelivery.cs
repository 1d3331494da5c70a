using GrpcSync.Domain;

namespace GrpcSync.Storage;

/// <summary>
/// A delivery a worker leased until <see cref="LeaseExpiresAt"/>, with what sending it needs: the endpoint's
/// URL and protected secrets, and the event (null when retention deleted it meanwhile).
/// </summary>
public sealed record ClaimedDelivery(
    Guid Id,
    Guid EndpointId,
    string ProjectId,
    int Attempts,
    string Url,
    bool EndpointEnabled,
    string ProtectedSecret,
    string? PreviousProtectedSecret,
    DateTimeOffset? PreviousSecretExpiresAt,
    LoggedEvent? Event,
    DateTimeOffset LeaseExpiresAt);
