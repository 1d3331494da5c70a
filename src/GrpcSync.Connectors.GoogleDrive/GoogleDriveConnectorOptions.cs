namespace GrpcSync.Connectors.GoogleDrive;

/// <summary>Operator settings of the Google Drive connector (configuration section <c>GrpcSync:Connectors:GoogleDrive</c>).</summary>
public sealed class GoogleDriveConnectorOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "GrpcSync:Connectors:GoogleDrive";

    /// <summary>False: the integration is not served by this server (no connector registered).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>The OAuth client's id (Google Cloud console → APIs &amp; Services → Credentials).</summary>
    public string ClientId { get; set; } = "";

    /// <summary>The OAuth client's secret. Never logged.</summary>
    public string ClientSecret { get; set; } = "";

    /// <summary>Google's OAuth 2.0 token endpoint; tests and proxies point it elsewhere.</summary>
    public Uri TokenEndpoint { get; set; } = new("https://oauth2.googleapis.com/token");

    /// <summary>The Drive API's base URL (the API lives under <c>/drive/v3/</c>).</summary>
    public Uri ApiBaseUrl { get; set; } = new("https://www.googleapis.com");

    /// <summary>How long one request may take before it counts as a transient failure.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// How often one throttled request (429, 403 rateLimitExceeded/userRateLimitExceeded) is retried at once with
    /// exponential backoff (<see cref="RateLimitBaseDelay"/> × 2ⁿ) before the run reports RATE_LIMITED.
    /// </summary>
    public int RateLimitRetries { get; set; } = 2;

    /// <summary>The first backoff of a throttled request; each retry doubles it.</summary>
    public TimeSpan RateLimitBaseDelay { get; set; } = TimeSpan.FromSeconds(1);
}
