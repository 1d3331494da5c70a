using System.Threading.Channels;
using GrpcSync.Engine.Background;
using GrpcSync.Engine.Tests.Infrastructure;
using Microsoft.Extensions.Time.Testing;

namespace GrpcSync.Engine.Tests.Background;

/// <summary>
/// The loop under both retention services: a pass, a wait of the interval on fake time, the next pass; a failed
/// pass is reported and the loop carries on; a stop ends it. No store: the loop touches none.
/// </summary>
public sealed class PeriodicPassServiceTests
{
    private static readonly TimeSpan Interval = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30); // real time, only when something is wrong

    [Fact]
    public async Task A_failed_pass_is_reported_and_the_next_runs_only_after_the_interval()
    {
        var fake = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        var time = new TimerWatchingTimeProvider(fake);
        using var loop = new ScriptedPasses(time, failFirst: true);

        await loop.StartAsync(CancellationToken.None);
        Assert.Equal(1, await loop.Passes.Reader.ReadAsync().AsTask().WaitAsync(Wait));
        var failure = await loop.Failures.Reader.ReadAsync().AsTask().WaitAsync(Wait);
        Assert.Equal("pass 1 fails", failure.Message);
        await ParkedAsync(time, 1);

        fake.Advance(Interval - TimeSpan.FromSeconds(1));
        await Task.Delay(50);
        Assert.False(loop.Passes.Reader.TryRead(out _), "The next pass ran before the interval was up.");

        fake.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(2, await loop.Passes.Reader.ReadAsync().AsTask().WaitAsync(Wait));
        await ParkedAsync(time, 2);
        Assert.False(loop.Failures.Reader.TryRead(out _), "A pass that did not throw was reported as failed.");

        await loop.StopAsync(CancellationToken.None).WaitAsync(Wait);
        Assert.True(loop.ExecuteTask!.IsCompletedSuccessfully, "A stop did not end the loop quietly.");
    }

    [Fact]
    public async Task A_stop_during_a_pass_ends_the_loop_without_reporting_a_failure()
    {
        var fake = new FakeTimeProvider(new DateTimeOffset(2030, 1, 1, 0, 0, 0, TimeSpan.Zero));
        using var loop = new ScriptedPasses(fake, failFirst: false, blockUntilStopped: true);

        await loop.StartAsync(CancellationToken.None);
        Assert.Equal(1, await loop.Passes.Reader.ReadAsync().AsTask().WaitAsync(Wait));
        await loop.StopAsync(CancellationToken.None).WaitAsync(Wait);

        Assert.True(loop.ExecuteTask!.IsCompletedSuccessfully, "A stop did not end the loop quietly.");
        Assert.False(loop.Failures.Reader.TryRead(out _), "The stop was reported as a failed pass.");
    }

    /// <summary>Waits (bounded, real time) until the loop has started its <paramref name="count"/>th wait.</summary>
    private static async Task ParkedAsync(TimerWatchingTimeProvider time, int count)
    {
        var deadline = DateTime.UtcNow + Wait;
        while (time.TimersStarted(Interval) < count)
        {
            Assert.True(DateTime.UtcNow < deadline, $"The loop never started wait {count}.");
            await Task.Delay(10);
        }
    }

    /// <summary>Numbers its passes; the first may throw, and each may block until the host stops.</summary>
    private sealed class ScriptedPasses(TimeProvider time, bool failFirst, bool blockUntilStopped = false)
        : PeriodicPassService(time)
    {
        private int _count;

        public Channel<int> Passes { get; } = Channel.CreateUnbounded<int>();

        public Channel<Exception> Failures { get; } = Channel.CreateUnbounded<Exception>();

        protected override TimeSpan Interval => PeriodicPassServiceTests.Interval;

        protected override async Task RunPassAsync(CancellationToken ct)
        {
            var pass = ++_count;
            Passes.Writer.TryWrite(pass);
            if (blockUntilStopped)
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            if (failFirst && pass == 1)
            {
                throw new InvalidOperationException($"pass {pass} fails");
            }
        }

        protected override void OnPassFailed(Exception e) => Failures.Writer.TryWrite(e);
    }
}
