using System.Text.Json;
using GrpcSync.Connectors;

namespace GrpcSync.SchedulerBench;

/// <summary>
/// Bench-only connector (integration <c>noop</c>, pipeline <c>noop</c>): every run finds no records and
/// returns at once, so a run costs only what the engine and the store spend on it. Each call tells the
/// <see cref="Recorder"/> that the run's source work began (the Sync's bench index is the configuration's
/// <c>n</c>), which gives the "worker start" lag next to the claim lag.
/// </summary>
internal sealed class NoopConnector(Recorder recorder) : IConnector
{
    public const string Name = "noop";

    private static readonly IReadOnlyCollection<string> PipelineNames = [Name];

    public string Integration => Name;

    public IReadOnlyCollection<string> Pipelines => PipelineNames;

    public IReadOnlyList<ConfigurationProblem> ValidateConfiguration(string pipeline, JsonElement configuration) => [];

    public IAsyncEnumerable<SourcePage> EnumerateAsync(SourceContext context, CancellationToken ct)
    {
        recorder.OnSourceCalled(Index(context));
        return NoPages.Instance;
    }

    public IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct)
    {
        recorder.OnSourceCalled(Index(context));
        return NoPages.Instance;
    }

    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct) =>
        throw new NotSupportedException("The noop connector has no content.");

    private static int Index(SourceContext context) =>
        context.Configuration.ValueKind == JsonValueKind.Object && context.Configuration.TryGetProperty("n", out var n)
            ? n.GetInt32()
            : -1;

    /// <summary>An empty async sequence that completes synchronously (no state machine, no allocation per run).</summary>
    private sealed class NoPages : IAsyncEnumerable<SourcePage>, IAsyncEnumerator<SourcePage>
    {
        public static readonly NoPages Instance = new();

        public SourcePage Current => throw new InvalidOperationException("Empty sequence.");

        public IAsyncEnumerator<SourcePage> GetAsyncEnumerator(CancellationToken cancellationToken = default) => this;

        public ValueTask<bool> MoveNextAsync() => ValueTask.FromResult(false);

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
