namespace GrpcSync.Connectors;

/// <summary>Known-record views every connector can use without the engine.</summary>
public static class KnownRecords
{
    /// <summary>Nothing is known: every record looks new (the default of <see cref="SourceContext.Known"/>).</summary>
    public static IKnownRecords None { get; } = new NoneKnown();

    private sealed class NoneKnown : IKnownRecords
    {
        private static readonly IReadOnlyDictionary<string, string> Empty = new Dictionary<string, string>();

        public Task<IReadOnlyDictionary<string, string>> FingerprintsAsync(IReadOnlyCollection<string> externalIds, CancellationToken ct) =>
            ct.IsCancellationRequested ? Task.FromCanceled<IReadOnlyDictionary<string, string>>(ct) : Task.FromResult(Empty);
    }
}
