namespace GrpcSync.Engine.Configuration;

/// <summary>
/// The budgets of one integration's credentials, bound from <c>GrpcSync:Connectors:&lt;integration&gt;</c> (beside the
/// connector's own settings there; the integration name is matched without regard to case).
/// </summary>
public sealed class ConnectorBudgetOptions
{
    /// <summary>The section whose children are the integrations.</summary>
    public const string SectionName = "GrpcSync:Connectors";

    /// <summary>
    /// Runs of Syncs on one credential that may be RUNNING at once, over all replicas (counted in the store's dispatch
    /// transaction); the others stay QUEUED with the hold CREDENTIAL_BUSY until one ends.
    /// </summary>
    public int MaxRunsPerCredential { get; set; } = 2;

    /// <summary>
    /// The steady request budget of one credential (requests per second; 0: none), enforced by a token bucket that the
    /// connector awaits before each request (<c>SourceContext.Requests</c>). Per replica: each engine process allows
    /// this rate for the runs it works, so N replicas working one credential at once may send up to N times as much.
    /// </summary>
    public double RequestsPerSecondPerCredential { get; set; }

    /// <summary>What is wrong with these settings (empty when valid).</summary>
    public IReadOnlyList<string> Validate(string integration)
    {
        var problems = new List<string>();
        if (MaxRunsPerCredential < 1)
        {
            problems.Add($"{SectionName}:{integration}:MaxRunsPerCredential must be at least 1 (got {MaxRunsPerCredential}).");
        }
        if (!double.IsFinite(RequestsPerSecondPerCredential) || RequestsPerSecondPerCredential < 0)
        {
            problems.Add($"{SectionName}:{integration}:RequestsPerSecondPerCredential must be 0 (no budget) or more (got {RequestsPerSecondPerCredential}).");
        }
        return problems;
    }
}
