using System.Diagnostics;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>Polls instead of sleeping: for state the engine reaches in the background.</summary>
public static class Eventually
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan Interval = TimeSpan.FromMilliseconds(50);

    /// <summary>
    /// Calls <paramref name="probe"/> until <paramref name="done"/> holds for its answer and returns
    /// that answer; fails after <paramref name="timeout"/> with <paramref name="describe"/> of the last answer.
    /// </summary>
    public static async Task<T> Until<T>(Func<Task<T>> probe, Func<T, bool> done, string waitingFor,
        Func<T, string>? describe = null, TimeSpan? timeout = null, Func<string>? context = null)
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
            if (clock.Elapsed > limit)
            {
                Assert.Fail($"Timed out after {limit.TotalSeconds:0.#} s waiting for {waitingFor}. Last: {describe?.Invoke(value) ?? value?.ToString()}" +
                    (context is null ? "" : Environment.NewLine + context()));
            }
            await Task.Delay(Interval);
        }
    }
}
