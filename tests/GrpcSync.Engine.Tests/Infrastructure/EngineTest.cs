namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>
/// Gives each test its own <see cref="EngineHarness"/> (xunit makes one class instance per test) on
/// <paramref name="store"/>. Each test class is abstract and run by its nested <c>OnSqlite</c> and
/// <c>OnPostgres</c> classes, so the engine suite runs on both stores.
/// </summary>
public abstract class EngineTest(TestStore store) : IAsyncLifetime
{
    protected EngineHarness H { get; private set; } = null!;

    protected static TimeSpan Timeout => EngineHarness.Timeout;

    public async Task InitializeAsync() => H = await EngineHarness.CreateAsync(store);

    public async Task DisposeAsync() => await H.DisposeAsync();
}
