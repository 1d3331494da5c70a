namespace GrpcSync.Connectors;

/// <summary>
/// The steady request budget of the credential a connector reads with (<c>RequestsPerSecondPerCredential</c> of its
/// integration): a connector awaits <see cref="WaitAsync"/> before each request it sends to the source, and the engine
/// spaces the requests of every run on that credential so that together they stay within the budget.
/// </summary>
public interface IRequestGate
{
    /// <summary>Completes when the next request may be sent (at once while the budget has room).</summary>
    ValueTask WaitAsync(CancellationToken ct);
}
