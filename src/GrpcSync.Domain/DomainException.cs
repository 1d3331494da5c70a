namespace GrpcSync.Domain;

/// <summary>
/// A rule was broken. <see cref="Reason"/> is a stable UPPER_SNAKE_CASE code for machines
/// (it becomes <c>google.rpc.ErrorInfo.reason</c>); <see cref="Exception.Message"/> is for people.
/// </summary>
public sealed class DomainException(ErrorKind kind, string reason, string message, IReadOnlyList<FieldViolation>? violations = null)
    : Exception(message)
{
    public ErrorKind Kind { get; } = kind;
    public string Reason { get; } = reason;
    public IReadOnlyList<FieldViolation> Violations { get; } = violations ?? [];

    public static DomainException Invalid(string field, string description) =>
        new(ErrorKind.InvalidArgument, "INVALID_ARGUMENT", description, [new FieldViolation(field, description)]);

    public static DomainException SyncNotFound(string syncId) =>
        new(ErrorKind.NotFound, "SYNC_NOT_FOUND", $"Sync not found: {syncId}");

    public static DomainException CredentialNotFound(string credentialId) =>
        new(ErrorKind.NotFound, "CREDENTIAL_NOT_FOUND", $"Credential not found: {credentialId}");

    /// <summary>
    /// A cursor or page token (<paramref name="field"/>) of an earlier life of the Sync, of another Sync,
    /// or not issued by the API at all. One reason for all of them: the caller's remedy is the same.
    /// </summary>
    public static DomainException CursorExpired(string field)
    {
        var message = $"The {field} belongs to an earlier life of this Sync or was not issued by this API; start again without a {field}.";
        return new(ErrorKind.InvalidArgument, "CURSOR_EXPIRED", message, [new FieldViolation(field, message)]);
    }
}
