using GrpcSync.Domain.Webhooks;

namespace GrpcSync.Domain.Tests.Webhooks;

public sealed class DeliveryRulesTests
{
    private static readonly DateTimeOffset Now = DateTimeOffset.FromUnixTimeMilliseconds(1_767_225_600_123);
    private static readonly RetrySchedule Schedule = new(RetrySchedule.SvixDelays, 0.15, TimeSpan.FromHours(24));
    private static readonly Guid Delivery = Guid.NewGuid();
    private static readonly Guid Endpoint = Guid.NewGuid();

    private static DeliveryResult Decide(int attemptsBefore, AttemptOutcome outcome, double jitter = 0) =>
        DeliveryRules.Decide(Delivery, Endpoint, attemptsBefore, outcome, Now, Schedule, jitter);

    [Theory]
    [InlineData(200)]
    [InlineData(204)]
    [InlineData(299)]
    public void Any_2xx_succeeds_and_marks_the_endpoint_healthy(int code)
    {
        var result = Decide(3, new AttemptOutcome.Answered(code));
        Assert.Equal((DeliveryState.Succeeded, 3, 4, (int?)code, (string?)null, (DateTimeOffset?)null, EndpointEffect.Succeeded, Now),
            (result.State, result.AttemptsBefore, result.Attempts, result.StatusCode, result.Error, result.NextAttemptAt, result.Effect, result.AttemptedAt));
    }

    [Theory]
    [InlineData(0, 5)]
    [InlineData(1, 300)]
    [InlineData(2, 1800)]
    [InlineData(6, 36000)]
    public void A_failure_is_retried_after_the_schedules_delay_for_its_attempt(int attemptsBefore, int seconds)
    {
        var result = Decide(attemptsBefore, new AttemptOutcome.Answered(500));
        Assert.Equal((DeliveryState.Pending, Now.AddSeconds(seconds), "HTTP 500", EndpointEffect.Failed),
            (result.State, result.NextAttemptAt, result.Error, result.Effect));
    }

    [Fact]
    public void Jitter_spreads_the_delay_by_the_ratio_either_way()
    {
        Assert.Equal(Now.AddSeconds(300 * 1.15), Decide(1, new AttemptOutcome.Answered(500), 1).NextAttemptAt);
        Assert.Equal(Now.AddSeconds(300 * 0.85), Decide(1, new AttemptOutcome.Answered(500), -1).NextAttemptAt);
        Assert.Equal(Now.AddSeconds(300 * 1.15), Decide(1, new AttemptOutcome.Answered(500), 7).NextAttemptAt); // clamped
    }

    [Fact]
    public void After_the_last_scheduled_retry_the_delivery_fails_and_says_so()
    {
        var result = Decide(7, new AttemptOutcome.NoAnswer("timeout after 15 s"));
        Assert.Equal((DeliveryState.Failed, (DateTimeOffset?)null, 8, "timeout after 15 s (retry schedule exhausted after 8 attempts)"),
            (result.State, result.NextAttemptAt, result.Attempts, result.Error));
    }

    [Theory]
    [InlineData(429)]
    [InlineData(503)]
    public void Retry_after_on_429_and_503_wins_when_later_than_the_schedule_up_to_the_cap(int code)
    {
        Assert.Equal(Now.AddMinutes(10), Decide(0, new AttemptOutcome.Answered(code, TimeSpan.FromMinutes(10))).NextAttemptAt);
        Assert.Equal(Now.AddSeconds(5), Decide(0, new AttemptOutcome.Answered(code, TimeSpan.FromSeconds(1))).NextAttemptAt);
        Assert.Equal(Now.AddHours(24), Decide(0, new AttemptOutcome.Answered(code, TimeSpan.FromDays(9))).NextAttemptAt);
    }

    [Fact]
    public void Retry_after_on_other_codes_is_ignored()
    {
        Assert.Equal(Now.AddSeconds(5), Decide(0, new AttemptOutcome.Answered(500, TimeSpan.FromMinutes(10))).NextAttemptAt);
    }

    [Theory]
    [InlineData(301)]
    [InlineData(302)]
    [InlineData(307)]
    public void A_redirect_is_a_failure(int code)
    {
        var result = Decide(0, new AttemptOutcome.Answered(code));
        Assert.Equal((DeliveryState.Pending, $"HTTP {code} (redirects are not followed)"), (result.State, result.Error));
    }

    [Fact]
    public void Gone_fails_the_delivery_and_disables_the_endpoint_with_the_time()
    {
        var result = Decide(0, new AttemptOutcome.Answered(410));
        Assert.Equal((DeliveryState.Failed, EndpointEffect.Gone, "the endpoint answered 410 Gone at 2026-01-01T00:00:00.123Z"),
            (result.State, result.Effect, result.DisabledReason));
    }

    [Fact]
    public void Errors_are_kept_short()
    {
        var result = Decide(0, new AttemptOutcome.Answered(500, Detail: new string('x', 5000)));
        Assert.Equal(DeliveryRules.MaxErrorLength, result.Error!.Length);
        Assert.StartsWith("HTTP 500: xxx", result.Error, StringComparison.Ordinal);
    }
}
