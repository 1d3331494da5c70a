namespace GrpcSync.Connectors;

/// <summary>
/// A failure that will not go away without a person (credential rejected, configured root gone):
/// the Sync becomes ERRORED with <see cref="Exception.Message"/> as its reason.
/// </summary>
public sealed class PermanentSourceException(string code, string message) : Exception(message)
{
    /// <summary>A stable code, e.g. <c>CREDENTIAL_REJECTED</c> or <c>ROOT_NOT_FOUND</c>.</summary>
    public string Code { get; } = code;
}
