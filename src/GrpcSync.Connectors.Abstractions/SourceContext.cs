using System.Text.Json;

namespace GrpcSync.Connectors;

/// <summary>What a connector reads with: the pipeline, the Sync's configuration and the credential's secret.</summary>
public sealed record SourceContext(string Pipeline, JsonElement Configuration, string Secret)
{
    /// <summary>
    /// The credential's steady request budget: await it before each request to the source (a connector that sends
    /// no requests, such as the filesystem's, may ignore it). <see cref="RequestGate.Unlimited"/> unless the engine
    /// set one.
    /// </summary>
    public IRequestGate Requests { get; init; } = RequestGate.Unlimited;

    /// <summary>
    /// The Sync's stored fingerprints, so that a connector can skip per-record requests for records that have not
    /// changed. <see cref="KnownRecords.None"/> unless the engine set it.
    /// </summary>
    public IKnownRecords Known { get; init; } = KnownRecords.None;

    /// <summary>
    /// For a connector that implements <see cref="IOAuthGrants"/>: the credential's access tokens, refreshed by the
    /// engine once per credential at a time (call <see cref="IAccessTokens.GetAsync"/> before requests and
    /// <see cref="IAccessTokens.RenewAsync"/> after a 401). Null for other connectors.
    /// </summary>
    public IAccessTokens? AccessTokens { get; init; }
}
