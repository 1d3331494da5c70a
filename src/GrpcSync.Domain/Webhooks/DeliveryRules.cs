using System.Globalization;

namespace GrpcSync.Domain.Webhooks;

/// <summary>
/// What an attempt's outcome means for its delivery and endpoint (pure: outcome, attempts, schedule, now and a
/// jitter sample in [-1, 1] in; the result to record out). 2xx succeeds; 410 Gone disables the endpoint; any
/// other answer (3xx included: redirects are not followed) and no answer at all are retried on the schedule.
/// </summary>
public static class DeliveryRules
{
    /// <summary>The longest error text kept on a delivery.</summary>
    public const int MaxErrorLength = 300;

    public static DeliveryResult Decide(Guid deliveryId, Guid endpointId, int attemptsBefore, AttemptOutcome outcome, DateTimeOffset now,
        RetrySchedule schedule, double jitterSample)
    {
        ArgumentNullException.ThrowIfNull(outcome);
        ArgumentNullException.ThrowIfNull(schedule);
        var attempts = attemptsBefore + 1;
        var (code, error, retryAfter) = outcome switch
        {
            AttemptOutcome.Answered a => ((int?)a.StatusCode, Describe(a), a.StatusCode is 429 or 503 ? a.RetryAfter : null),
            AttemptOutcome.NoAnswer n => (null, n.Error, null),
            _ => throw new ArgumentOutOfRangeException(nameof(outcome)),
        };
        error = Shorten(error);
        if (code is >= 200 and < 300)
        {
            return new(deliveryId, endpointId, attemptsBefore, attempts, DeliveryState.Succeeded, null, now, code, null, EndpointEffect.Succeeded);
        }
        if (code == 410)
        {
            return new(deliveryId, endpointId, attemptsBefore, attempts, DeliveryState.Failed, null, now, code, error, EndpointEffect.Gone,
                GoneReason(now));
        }
        if (attempts > schedule.Delays.Count)
        {
            return new(deliveryId, endpointId, attemptsBefore, attempts, DeliveryState.Failed, null, now, code,
                Shorten($"{error} (retry schedule exhausted after {attempts} attempts)"), EndpointEffect.Failed);
        }
        var delay = Jittered(schedule.Delays[attempts - 1], schedule.JitterRatio, jitterSample);
        if (retryAfter is { } asked && asked > delay)
        {
            delay = asked < schedule.RetryAfterCap ? asked : schedule.RetryAfterCap;
        }
        return new(deliveryId, endpointId, attemptsBefore, attempts, DeliveryState.Pending, now + delay, now, code, error, EndpointEffect.Failed);
    }

    /// <summary>The disabled_reason of an endpoint that answered 410 Gone.</summary>
    public static string GoneReason(DateTimeOffset at) =>
        string.Create(CultureInfo.InvariantCulture, $"the endpoint answered 410 Gone at {SyncEvents.Rfc3339(at)}");

    /// <summary>The disabled_reason of an endpoint without a success for longer than <paramref name="disableAfter"/>.</summary>
    public static string FailingTooLongReason(DateTimeOffset failingSince, TimeSpan disableAfter) =>
        string.Create(CultureInfo.InvariantCulture,
            $"no successful delivery since {SyncEvents.Rfc3339(failingSince)} (GrpcSync:Webhooks:DisableAfter is {disableAfter:c})");

    private static TimeSpan Jittered(TimeSpan delay, double ratio, double sample) =>
        delay * (1 + ratio * Math.Clamp(sample, -1, 1));

    private static string Describe(AttemptOutcome.Answered a)
    {
        var text = a.StatusCode is >= 300 and < 400 ? $"HTTP {a.StatusCode} (redirects are not followed)" : $"HTTP {a.StatusCode}";
        return string.IsNullOrWhiteSpace(a.Detail) ? text : $"{text}: {a.Detail}";
    }

    private static string Shorten(string text) => text.Length <= MaxErrorLength ? text : text[..(MaxErrorLength - 1)] + "…";
}
