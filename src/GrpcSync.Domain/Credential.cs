namespace GrpcSync.Domain;

/// <summary>A connected account. The secret is stored only in protected (encrypted) form.</summary>
public sealed record Credential
{
    public required Guid Id { get; init; }
    public required string ProjectId { get; init; }
    public required string UserId { get; init; }
    public required string Integration { get; init; }
    public required string DisplayName { get; init; }
    /// <summary>The secret after encryption (never the plain text).</summary>
    public required string ProtectedSecret { get; init; }
    public required DateTimeOffset CreatedAt { get; init; }
    public DateTimeOffset? DeletedAt { get; init; }

    /// <summary>
    /// Bumped by every write of <see cref="ProtectedSecret"/> after creation (an OAuth refresh): the compare-and-swap
    /// token that keeps two refreshes from overwriting each other's rotated refresh token.
    /// </summary>
    public long SecretVersion { get; init; }

    /// <summary>When the source rejected the credential for good (OAuth <c>invalid_grant</c>); null while usable.</summary>
    public DateTimeOffset? InvalidAt { get; init; }
}
