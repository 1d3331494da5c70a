using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace GrpcSync.Api.Tests.Fuzz;

/// <summary>One log entry of the host, stamped with the fuzz case that was in flight when it was written.</summary>
public sealed record CapturedLogEntry(int FuzzCase, LogLevel Level, string Category, EventId EventId, string Message, Exception? Exception)
{
    /// <summary>The console logger's prefix ("fail", "crit", ...), as an operator would grep for it.</summary>
    public string Prefix => Level switch
    {
        LogLevel.Critical => "crit",
        LogLevel.Error => "fail",
        LogLevel.Warning => "warn",
        LogLevel.Information => "info",
        _ => "dbug",
    };

    public string FirstLine =>
        $"{Prefix}: {Category}[{EventId.Id}] {Message.Split('\n')[0].Trim()}" +
        (Exception is null ? "" : $" — {Exception.GetType().Name}: {Exception.Message.Split('\n')[0].Trim()}");
}

/// <summary>
/// A logger provider for the host under test: keeps Warning and above in memory so a storm can assert that
/// bad input never produced an Error/Critical entry (a "fail:" line in the console log). The storm sets
/// <see cref="CurrentCase"/> before each request; requests are sent one at a time, so an entry belongs to
/// the case in flight (a late entry of the previous case can carry the next number, which the report says).
/// </summary>
public sealed class CapturedLogs : ILoggerProvider
{
    private readonly ConcurrentQueue<CapturedLogEntry> _entries = new();
    private int _currentCase = -1;

    public int CurrentCase
    {
        get => Volatile.Read(ref _currentCase);
        set => Volatile.Write(ref _currentCase, value);
    }

    public IReadOnlyList<CapturedLogEntry> Entries => _entries.ToArray();

    /// <summary>Error and Critical entries written while a fuzz case was in flight.</summary>
    public IReadOnlyList<CapturedLogEntry> ErrorsDuringStorm() =>
        _entries.Where(e => e.FuzzCase >= 0 && e.Level >= LogLevel.Error).ToArray();

    /// <summary>Asserts the host wrote no Error or Critical entry at all (the edge tests' "bad input logs no error").</summary>
    public void AssertNoErrors()
    {
        var errors = _entries.Where(e => e.Level >= LogLevel.Error).Select(e => e.FirstLine).ToArray();
        Assert.True(errors.Length == 0, "The host logged errors:\n" + string.Join("\n", errors));
    }

    public ILogger CreateLogger(string categoryName) => new CaptureLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class CaptureLogger(CapturedLogs owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Warning;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                owner._entries.Enqueue(new CapturedLogEntry(owner.CurrentCase, logLevel, category, eventId, formatter(state, exception), exception));
            }
        }
    }
}
