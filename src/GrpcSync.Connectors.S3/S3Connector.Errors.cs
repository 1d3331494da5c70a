using System.Net;
using Amazon.Runtime;
using Amazon.S3;

namespace GrpcSync.Connectors.S3;

// Errors: what the source said, as the Sync's lifecycle needs it (ERRORED, RATE_LIMITED or a transient retry).
public sealed partial class S3Connector
{
    /// <summary>How long a throttled Sync waits when S3 says SlowDown (S3 sends no Retry-After).</summary>
    internal static readonly TimeSpan SlowDownBackoff = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Turns an SDK or network failure into the source exception the engine acts on. Messages follow Paragon's
    /// style (what happened, then what to do) and never carry the secret.
    /// </summary>
    private static Exception Translate(Exception error, string bucket)
    {
        if (error is PermanentSourceException or TransientSourceException or RateLimitedSourceException)
        {
            return error;
        }
        if (FindInner<S3EndpointRefusedException>(error) is { } refused)
        {
            return new PermanentSourceException("ENDPOINT_NOT_ALLOWED", $"The credential's endpoint was refused: {refused.Message}");
        }
        if (error is AmazonServiceException service)
        {
            switch (service.ErrorCode)
            {
                case "InvalidAccessKeyId" or "SignatureDoesNotMatch" or "AccessDenied" or "InvalidToken" or "ExpiredToken":
                    return new PermanentSourceException("CREDENTIAL_REJECTED",
                        $"The S3 credential was rejected ({service.ErrorCode}): {service.Message} Update the credential's keys or their permissions for bucket '{bucket}'.");
                case "NoSuchBucket":
                    return new PermanentSourceException("BUCKET_NOT_FOUND",
                        $"The bucket '{bucket}' does not exist at the credential's endpoint. Check the Sync's configuration.bucket.");
                case "SlowDown" or "Throttling" or "ThrottlingException" or "TooManyRequests" or "RequestLimitExceeded":
                    return new RateLimitedSourceException(SlowDownBackoff, $"S3 asked to slow down ({service.ErrorCode}).");
            }
            var status = (int)service.StatusCode;
            if (status is 429 or 503)
            {
                return new RateLimitedSourceException(SlowDownBackoff, $"S3 answered {status} ({service.ErrorCode ?? "no code"}).");
            }
            if (status == 403)
            {
                return new PermanentSourceException("CREDENTIAL_REJECTED",
                    $"The S3 credential was refused access to bucket '{bucket}' ({service.ErrorCode ?? "403"}). Update the credential's permissions.");
            }
            if (status >= 500 || service.ErrorCode is "InternalError" or "RequestTimeout")
            {
                return new TransientSourceException($"S3 answered {status} ({service.ErrorCode ?? "no code"}): {service.Message}", error);
            }
            return new PermanentSourceException("SOURCE_REFUSED", $"S3 refused the request ({status} {service.ErrorCode}): {service.Message}");
        }
        if (error is HttpRequestException or IOException or TimeoutException or AmazonClientException or OperationCanceledException)
        {
            return new TransientSourceException($"S3 could not be reached: {Innermost(error).Message}", error);
        }
        return error;
    }

    private static T? FindInner<T>(Exception error) where T : Exception
    {
        for (Exception? current = error; current is not null; current = current.InnerException)
        {
            if (current is T found)
            {
                return found;
            }
            if (current is AggregateException aggregate && aggregate.InnerExceptions.Select(FindInner<T>).FirstOrDefault(e => e is not null) is { } inAggregate)
            {
                return inAggregate;
            }
        }
        return null;
    }

    private static Exception Innermost(Exception error)
    {
        var current = error;
        while (current.InnerException is not null)
        {
            current = current.InnerException;
        }
        return current;
    }

    private static bool IsNotFound(AmazonS3Exception error) =>
        error.StatusCode == HttpStatusCode.NotFound && error.ErrorCode is "NoSuchKey" or "NotFound" or null;
}
