using System.Collections.Concurrent;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// A <see cref="ServerFixture"/> that runs the sync engine for real (polling every 100 ms) with only
/// the built-in <c>filesystem</c> connector (and the test's <see cref="ScriptedConnector"/>), allowed to read below <see cref="FilesRoot"/> (a fresh
/// temp directory). Tests make account directories there with <see cref="NewAccount"/>.
/// </summary>
public abstract class EngineServerFixture(TestStore store) : ServerFixture(store)
{
    private readonly ConcurrentQueue<string> _log = new();

    /// <summary>The operator's allowed root (GrpcSync:Connectors:Filesystem:AllowedRoots:0).</summary>
    public string FilesRoot { get; } = Directory.CreateTempSubdirectory("grpcsync-api-files-").FullName;

    /// <summary>A new, empty account directory below <see cref="FilesRoot"/>.</summary>
    public AccountDirectory NewAccount() => new(Directory.CreateDirectory(Path.Combine(FilesRoot, "account-" + Guid.NewGuid().ToString("N"))).FullName);

    /// <summary>The engine's log lines so far (for failure messages).</summary>
    public string EngineLog(int lastLines = 40) => string.Join(Environment.NewLine, _log.TakeLast(lastLines));

    protected override void Configure(IDictionary<string, string?> settings)
    {
        settings["GrpcSync:Engine:Enabled"] = "true";
        settings["GrpcSync:Engine:PollInterval"] = "00:00:00.100";
        settings["GrpcSync:Engine:ShutdownTimeout"] = "00:00:02";
        settings["GrpcSync:Connectors:Filesystem:AllowedRoots:0"] = FilesRoot;
    }

    /// <summary>The <c>scripted</c> source (besides the built-in filesystem one), for states a folder cannot produce on cue.</summary>
    public ScriptedConnector Scripted { get; } = new();

    protected override void ConfigureServices(IServiceCollection services)
    {
        services.AddSingleton<ILoggerProvider>(new QueueLoggerProvider(_log));
        services.AddSingleton<GrpcSync.Connectors.IConnector>(Scripted);
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        try
        {
            Directory.Delete(FilesRoot, recursive: true);
        }
        catch (IOException)
        {
            // Best effort: a leftover temp directory does not affect other tests.
        }
    }

    /// <summary>Keeps the engine's log lines (category GrpcSync.*, Information and above) in memory.</summary>
    private sealed class QueueLoggerProvider(ConcurrentQueue<string> lines) : ILoggerProvider
    {
        public ILogger CreateLogger(string categoryName) => new QueueLogger(categoryName, lines);

        public void Dispose()
        {
        }
    }

    private sealed class QueueLogger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information && category.StartsWith("GrpcSync.", StringComparison.Ordinal);

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (!IsEnabled(logLevel))
            {
                return;
            }
            lines.Enqueue($"{DateTime.UtcNow:HH:mm:ss.fff} {logLevel} {category}: {formatter(state, exception)}{(exception is null ? "" : " " + exception.GetType().Name + ": " + exception.Message)}");
            while (lines.Count > 2000 && lines.TryDequeue(out _))
            {
            }
        }
    }
}

/// <summary>The host with the engine on a fresh SQLite file.</summary>
public sealed class SqliteEngineServer() : EngineServerFixture(TestStore.Sqlite);

/// <summary>The host with the engine on a fresh PostgreSQL database.</summary>
public sealed class PostgresEngineServer() : EngineServerFixture(TestStore.Postgres);
