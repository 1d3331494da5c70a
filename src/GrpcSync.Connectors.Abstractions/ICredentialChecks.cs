using System.Text.Json;

namespace GrpcSync.Connectors;

/// <summary>
/// Implemented by a connector whose credentials have a shape: the API checks a secret with
/// <see cref="ValidateSecret"/> before storing it, and with <see cref="VerifyAsync"/> when the caller asked
/// for <c>"verify": true</c>. A connector without it takes any non-empty secret (checked at run time).
/// </summary>
public interface ICredentialChecks
{
    /// <summary>
    /// Checks the secret as the caller sent it (a JSON string or object) without touching the source.
    /// Returns the problems, their field paths starting with <c>secret</c> (e.g. <c>secret.accessKeyId</c>);
    /// empty when valid.
    /// </summary>
    IReadOnlyList<ConfigurationProblem> ValidateSecret(JsonElement secret);

    /// <summary>
    /// Makes one cheap call to the source with a secret that passed <see cref="ValidateSecret"/> (in its
    /// stored text form, as <see cref="SourceContext.Secret"/> carries it). Returns when the source accepts it;
    /// throws <see cref="PermanentSourceException"/> (e.g. <c>CREDENTIAL_REJECTED</c>) when it does not,
    /// <see cref="TransientSourceException"/> or <see cref="RateLimitedSourceException"/> when it cannot tell now.
    /// </summary>
    Task VerifyAsync(string secret, CancellationToken ct);
}
