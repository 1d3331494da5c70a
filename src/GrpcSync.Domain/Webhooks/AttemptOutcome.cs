namespace GrpcSync.Domain.Webhooks;

/// <summary>How one delivery attempt went, as the sender saw it.</summary>
public abstract record AttemptOutcome
{
    private AttemptOutcome()
    {
    }

    /// <summary>The endpoint answered with <paramref name="StatusCode"/>; <paramref name="RetryAfter"/> from its header, relative to the attempt.</summary>
    public sealed record Answered(int StatusCode, TimeSpan? RetryAfter = null, string? Detail = null) : AttemptOutcome;

    /// <summary>No answer: timeout, network error, or the address was refused before connecting. <paramref name="Error"/> is short and secret-free.</summary>
    public sealed record NoAnswer(string Error) : AttemptOutcome;
}
