using System.Collections.Concurrent;
using GrpcSync.Connectors;

namespace GrpcSync.Engine.Budgets;

/// <summary>
/// This replica's steady request budgets: one <see cref="TokenBucket"/> per credential whose integration has a
/// <c>RequestsPerSecondPerCredential</c>, shared by every run of this process on that credential. In memory, per
/// replica (documented in the README): replicas do not divide the budget among themselves.
/// </summary>
public sealed class CredentialRateGates(ConnectorBudgets budgets, TimeProvider time)
{
    private readonly ConcurrentDictionary<Guid, TokenBucket> _buckets = new();

    /// <summary>The gate for runs on <paramref name="credentialId"/> of <paramref name="integration"/>.</summary>
    public IRequestGate For(Guid credentialId, string integration)
    {
        var rate = budgets.For(integration).RequestsPerSecondPerCredential;
        return rate > 0 ? _buckets.GetOrAdd(credentialId, _ => new TokenBucket(rate, time)) : RequestGate.Unlimited;
    }
}
