namespace GrpcSync.Connectors;

/// <summary>Gates every connector can use without the engine.</summary>
public static class RequestGate
{
    /// <summary>No budget: every request may go at once (the default of <see cref="SourceContext.Requests"/>).</summary>
    public static IRequestGate Unlimited { get; } = new UnlimitedGate();

    private sealed class UnlimitedGate : IRequestGate
    {
        public ValueTask WaitAsync(CancellationToken ct) =>
            ct.IsCancellationRequested ? ValueTask.FromCanceled(ct) : ValueTask.CompletedTask;
    }
}
