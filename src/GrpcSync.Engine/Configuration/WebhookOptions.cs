using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Engine.Configuration;

/// <summary>Settings of webhooks (configuration section <c>GrpcSync:Webhooks</c>), for the API and for delivery.</summary>
public sealed class WebhookOptions
{
    public const string SectionName = "GrpcSync:Webhooks";

    /// <summary>
    /// Allow <c>http</c> URLs and private, loopback and other non-public addresses (local receivers in
    /// development and tests). Off by default: a webhook URL is a request the server makes on a caller's
    /// behalf, and must not reach the server's own network (SSRF).
    /// </summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>How long one attempt may take (connect, send, answer); longer is a failed attempt.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>
    /// The waits before each retry (attempt n+1 waits the n-th); past the list the delivery is Failed. Unset: Svix's
    /// schedule, 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h. (Nullable because configuration binding appends to a
    /// list's initial items instead of replacing them.)
    /// </summary>
    public List<TimeSpan>? RetrySchedule { get; set; }

    /// <summary>Each retry's wait is spread by up to this fraction either way.</summary>
    public double RetryJitter { get; set; } = 0.15;

    /// <summary>The longest Retry-After (429/503) honoured.</summary>
    public TimeSpan RetryAfterCap { get; set; } = TimeSpan.FromHours(24);

    /// <summary>An endpoint with no success for this long is disabled (loudly: reason on the endpoint, a warning logged).</summary>
    public TimeSpan DisableAfter { get; set; } = TimeSpan.FromDays(5);

    /// <summary>How often a worker looks for endpoints failing longer than <see cref="DisableAfter"/>.</summary>
    public TimeSpan DisableCheckInterval { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Attempts one process sends to one endpoint at once, so a slow endpoint cannot take every slot.</summary>
    public int MaxConcurrencyPerEndpoint { get; set; } = 4;

    /// <summary>Attempts one process sends at once over all endpoints.</summary>
    public int MaxConcurrency { get; set; } = 64;

    /// <summary>
    /// Most deliveries of one endpoint a process claims ahead (in hand, waiting for a sending slot), so a fast endpoint
    /// is fed without a claim per attempt. An endpoint whose attempts are slow, or not measured yet, gets only
    /// <see cref="MaxConcurrencyPerEndpoint"/> per claim, so its claimed deliveries never wait out their lease.
    /// 256 rather than 64: each claim reads every due delivery of the store (it ranks them per endpoint), so with a
    /// backlog fewer, larger claims are what keeps a fast endpoint fed (bench figure 7: 733 → 1,638 deliveries/s draining
    /// 10,000 on a busy 2-core machine, 652 → 446 µs of server CPU per delivery). An endpoint still counts as fast only if
    /// a full prefetch, sent its slots' worth at a time, ends well inside the lease (under ~350 ms per attempt with the defaults).
    /// </summary>
    public int PrefetchPerEndpoint { get; set; } = 256;

    /// <summary>Most deliveries one process holds claimed at once (sending or waiting to), over all endpoints.</summary>
    public int MaxClaimed { get; set; } = 1024;

    /// <summary>How often an idle worker looks for due deliveries (retries, other replicas' events); this process's placements wake it at once.</summary>
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long a claim holds a delivery. A worker that dies holds its deliveries this long; then another
    /// sends them. At least twice <see cref="Timeout"/>, so a claimed attempt always finishes inside its lease.
    /// </summary>
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Most attempt results written in one store transaction.</summary>
    public int ResultBatch { get; set; } = 256;

    /// <summary>The schedule in force (configured, or Svix's).</summary>
    public RetrySchedule Schedule => new(RetrySchedule is { Count: > 0 } configured ? configured : Domain.Webhooks.RetrySchedule.SvixDelays,
        RetryJitter, RetryAfterCap);

    /// <summary>What is wrong with these settings (empty when valid); checked at startup.</summary>
    public IReadOnlyList<string> Validate()
    {
        var problems = new List<string>();
        if (Timeout <= TimeSpan.Zero)
            problems.Add($"{SectionName}:Timeout must be positive.");
        if (RetrySchedule is { } schedule && schedule.Any(d => d < TimeSpan.Zero))
            problems.Add($"{SectionName}:RetrySchedule must not contain negative waits.");
        if (RetryJitter is < 0 or >= 1 || double.IsNaN(RetryJitter))
            problems.Add($"{SectionName}:RetryJitter must be at least 0 and below 1.");
        if (RetryAfterCap < TimeSpan.Zero)
            problems.Add($"{SectionName}:RetryAfterCap must not be negative.");
        if (DisableAfter <= TimeSpan.Zero)
            problems.Add($"{SectionName}:DisableAfter must be positive.");
        if (DisableCheckInterval <= TimeSpan.Zero)
            problems.Add($"{SectionName}:DisableCheckInterval must be positive.");
        if (MaxConcurrencyPerEndpoint < 1)
            problems.Add($"{SectionName}:MaxConcurrencyPerEndpoint must be at least 1.");
        if (MaxConcurrency < MaxConcurrencyPerEndpoint)
            problems.Add($"{SectionName}:MaxConcurrency must be at least MaxConcurrencyPerEndpoint.");
        if (PrefetchPerEndpoint < MaxConcurrencyPerEndpoint)
            problems.Add($"{SectionName}:PrefetchPerEndpoint must be at least MaxConcurrencyPerEndpoint.");
        if (MaxClaimed < MaxConcurrency || MaxClaimed < PrefetchPerEndpoint)
            problems.Add($"{SectionName}:MaxClaimed must be at least MaxConcurrency and PrefetchPerEndpoint.");
        if (PollInterval <= TimeSpan.Zero)
            problems.Add($"{SectionName}:PollInterval must be positive.");
        if (LeaseDuration < 2 * Timeout + TimeSpan.FromSeconds(1))
            problems.Add($"{SectionName}:LeaseDuration must be at least twice Timeout plus one second.");
        if (ResultBatch < 1)
            problems.Add($"{SectionName}:ResultBatch must be at least 1.");
        return problems;
    }
}
