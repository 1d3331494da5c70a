namespace GrpcSync.Storage.Tests;

public sealed class EventPulseTests
{
    private static readonly TimeSpan Long = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task A_pulse_after_the_seen_version_ends_the_wait_at_once_even_if_it_came_before_the_wait()
    {
        var pulse = new EventPulse();
        var seen = pulse.Version;
        pulse.Pulse(); // between reading the version and waiting

        var wait = pulse.WaitAsync(seen, Long, TimeProvider.System, CancellationToken.None);

        Assert.True(wait.IsCompletedSuccessfully);
        await wait;
        Assert.Equal(seen + 1, pulse.Version);
    }

    [Fact]
    public async Task A_waiter_wakes_at_the_next_pulse_and_not_before()
    {
        var pulse = new EventPulse();
        var wait = pulse.WaitAsync(pulse.Version, Long, TimeProvider.System, CancellationToken.None);
        await Task.Delay(50);
        Assert.False(wait.IsCompleted);

        pulse.Pulse();

        await wait.WaitAsync(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public async Task Without_a_pulse_the_wait_ends_at_the_timeout_and_cancellation_throws()
    {
        var pulse = new EventPulse();
        await pulse.WaitAsync(pulse.Version, TimeSpan.FromMilliseconds(20), TimeProvider.System, CancellationToken.None)
            .WaitAsync(TimeSpan.FromSeconds(30));

        using var cancel = new CancellationTokenSource();
        var cancelled = pulse.WaitAsync(pulse.Version, Long, TimeProvider.System, cancel.Token);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => cancelled);
    }
}
