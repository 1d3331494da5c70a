namespace GrpcSync.Api.Tests.Telemetry;

/// <summary>
/// The tests that read process-wide telemetry. Every host in this test process makes a meter named "GrpcSync",
/// and an OpenTelemetry MeterProvider subscribes to every meter of that name, so a scrape would also count what
/// other test classes' hosts do meanwhile. Without parallelization xunit runs this collection alone, after the
/// others, so the values a test sees move only by what it did.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "Telemetry";
}
