using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Api.Tests.Edge;

/// <summary>A logger provider that keeps the host's warnings and errors, so a test can assert bad input logged no error.</summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _entries = new();

    public IReadOnlyList<string> Errors => _entries.ToArray();

    public void AssertNoErrors() =>
        Assert.True(_entries.IsEmpty, "The host logged errors:\n" + string.Join("\n", _entries));

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _entries);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> entries) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Error;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                entries.Enqueue($"{logLevel} {category}: {formatter(state, exception)} {exception?.GetType().Name}");
            }
        }
    }
}
