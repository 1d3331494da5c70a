using Amazon.Runtime;
using Amazon.S3;

namespace GrpcSync.Connectors.S3;

// Client: an SDK client for one credential, its endpoint checked against the allow-list first.
public sealed partial class S3Connector
{
    /// <summary>
    /// An SDK client for the credential. Refused (ENDPOINT_NOT_ALLOWED) when the endpoint is not, or no longer,
    /// in the allow-list. Custom endpoints use path-style addressing (MinIO, s3rver, most compatibles); AWS's
    /// own endpoints keep virtual-hosted style, whose bucket.s3.region.amazonaws.com hosts are AWS's too.
    /// </summary>
    private AmazonS3Client CreateClient(S3Credentials credentials)
    {
        var decision = _endpoints.Check(credentials.Endpoint);
        if (!decision.Allowed)
        {
            throw new PermanentSourceException("ENDPOINT_NOT_ALLOWED",
                $"The credential's endpoint {credentials.Endpoint.GetLeftPart(UriPartial.Authority)} is not allowed on this server ({decision.Rule}).");
        }
        var config = new AmazonS3Config
        {
            AuthenticationRegion = credentials.Region,
            HttpClientFactory = decision.PrivateAddressesAllowed ? _privateAllowedHttp : _publicOnlyHttp,
            MaxErrorRetry = 1, // the engine retries runs with backoff and shows RATE_LIMITED; the SDK need not wait too
            Timeout = _requestTimeout,
            // Integrity of listings and streamed content is the source's concern; validating would buffer ranged reads.
            ResponseChecksumValidation = ResponseChecksumValidation.WHEN_REQUIRED,
            RequestChecksumCalculation = RequestChecksumCalculation.WHEN_REQUIRED,
        };
        if (credentials.CustomEndpoint)
        {
            config.ServiceURL = credentials.Endpoint.ToString();
            config.ForcePathStyle = true;
        }
        else
        {
            config.RegionEndpoint = Amazon.RegionEndpoint.GetBySystemName(credentials.Region);
        }
        return new AmazonS3Client(new BasicAWSCredentials(credentials.AccessKeyId, credentials.SecretAccessKey), config);
    }
}
