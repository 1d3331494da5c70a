namespace GrpcSync.Server.RateLimiting;

/// <summary>
/// <c>GrpcSync:RateLimits</c>: a token bucket per caller (project, user), refilled at
/// <see cref="PermitsPerSecond"/> up to <see cref="Burst"/>; per project overrides under <see cref="Projects"/>.
/// Failed authentications are limited per remote address (<see cref="Unauthenticated"/>).
/// </summary>
public sealed class RateLimitOptions
{
    public bool Enabled { get; set; } = true;

    public double PermitsPerSecond { get; set; } = 50;

    public int Burst { get; set; } = 100;

    /// <summary>Per project id: its own rate and burst for each of its users (unset values fall back to the global ones).</summary>
    public Dictionary<string, RateLimitRule> Projects { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Requests whose token does not validate, per remote address. Once the bucket is empty, calls from that
    /// address that do not carry an already-validated token are refused before their token is checked.
    /// </summary>
    public RateLimitRule Unauthenticated { get; set; } = new() { PermitsPerSecond = 10, Burst = 20 };

    public RateLimitRule ForProject(string projectId) =>
        Projects.TryGetValue(projectId, out var rule)
            ? new RateLimitRule { PermitsPerSecond = rule.PermitsPerSecond ?? PermitsPerSecond, Burst = rule.Burst ?? Burst }
            : new RateLimitRule { PermitsPerSecond = PermitsPerSecond, Burst = Burst };

    public void Validate()
    {
        foreach (var (name, rule) in Projects.Select(p => ($"Projects:{p.Key}", ForProject(p.Key)))
                     .Append(("", new RateLimitRule { PermitsPerSecond = PermitsPerSecond, Burst = Burst }))
                     .Append(("Unauthenticated", Unauthenticated)))
        {
            if (rule.PermitsPerSecond is not > 0 || rule.Burst is not > 0)
            {
                throw new InvalidOperationException(
                    $"GrpcSync:RateLimits{(name.Length > 0 ? ":" + name : "")}: PermitsPerSecond and Burst must be positive.");
            }
        }
    }
}
