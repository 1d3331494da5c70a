namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>Gives each test its own <see cref="EngineHarness"/> (xunit makes one class instance per test).</summary>
public abstract class EngineTest : IAsyncLifetime
{
    protected EngineHarness H { get; private set; } = null!;

    protected static TimeSpan Timeout => EngineHarness.Timeout;

    public async Task InitializeAsync() => H = await EngineHarness.CreateAsync();

    public async Task DisposeAsync() => await H.DisposeAsync();
}
