namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>
/// A point where a fake connector (or store) waits until the test releases it. The test learns
/// that the point was reached from <see cref="WaitEnteredAsync"/>.
/// </summary>
public sealed class Gate
{
    private readonly TaskCompletionSource _entered = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _released = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _sawCancellation;

    /// <summary>True when the waiter was cancelled (e.g. the worker lost its lease or shutdown cancelled it).</summary>
    public bool SawCancellation => _sawCancellation;

    public bool WasEntered => _entered.Task.IsCompleted;

    public async Task WaitAsync(CancellationToken ct)
    {
        _entered.TrySetResult();
        try
        {
            await _released.Task.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            _sawCancellation = true;
            throw;
        }
    }

    public void Release() => _released.TrySetResult();

    public Task WaitEnteredAsync() => _entered.Task.WaitAsync(EngineHarness.Timeout);
}
