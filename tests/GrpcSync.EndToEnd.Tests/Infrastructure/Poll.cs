using System.Diagnostics;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>Waits for state the server reaches in the background by polling, never by sleeping a fixed time.</summary>
public static class Poll
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="done"/> holds and returns that answer. Fails at
    /// once when <paramref name="hopeless"/> holds, and after the timeout otherwise, with the last answer
    /// and <paramref name="context"/> (e.g. the server's output).
    /// </summary>
    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, Func<T, bool> hopeless, string waitingFor,
        Func<string>? context = null, TimeSpan? timeout = null)
    {
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        while (true)
        {
            var value = await probe();
            if (done(value))
            {
                return value;
            }
            if (hopeless(value) || clock.Elapsed > limit)
            {
                Assert.Fail($"{(hopeless(value) ? "Gave up" : $"Timed out after {limit.TotalSeconds:0} s")} waiting for {waitingFor}. " +
                    $"Last: {value}{Environment.NewLine}{context?.Invoke()}");
            }
            await Task.Delay(TimeSpan.FromMilliseconds(200));
        }
    }
}
