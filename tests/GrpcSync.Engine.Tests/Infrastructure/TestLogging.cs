using System.Collections.Concurrent;
using GrpcSync.Engine.Credentials;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Engine.Tests.Infrastructure;

/// <summary>Keeps every log line (with its exception) so tests can check what the engine logs.</summary>
public sealed class CapturingLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _lines = new();

    public IReadOnlyList<string> Lines => [.. _lines];

    public ILogger CreateLogger(string categoryName) => new Logger(categoryName, _lines);

    public void Dispose()
    {
    }

    private sealed class Logger(string category, ConcurrentQueue<string> lines) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var properties = state is IEnumerable<KeyValuePair<string, object?>> pairs
                ? string.Join(", ", pairs.Select(p => $"{p.Key}={p.Value}"))
                : "";
            lines.Enqueue($"{logLevel} {category}: {formatter(state, exception)} [{properties}] {exception}");
        }
    }
}

/// <summary>Secrets stored as they are (the server protects them with Data Protection).</summary>
public sealed class PassThroughSecrets : ICredentialSecrets, GrpcSync.Engine.Webhooks.IWebhookSecrets
{
    public string Reveal(string protectedSecret) => protectedSecret;

    public string Protect(string secret) => secret;
}
