using System.Security.Cryptography;
using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.Core;
using GrpcSync.Domain;

namespace GrpcSync.Server.Api;

/// <summary>
/// The <c>Idempotency-Key</c> a caller may send with a create (AIP-155): the HTTP header over REST, the
/// <c>idempotency-key</c> metadata over gRPC — both arrive as the same request header. A retry with the same
/// key and the same request gets the first answer; the store keeps the key (see <c>IdempotentCreate</c>).
/// </summary>
public static class IdempotencyHeader
{
    public const string Name = "Idempotency-Key";

    public const int MaxLength = 255;

    /// <summary>
    /// The caller's key, or null when none was sent. A key is 1–255 visible ASCII characters (no spaces), sent
    /// once; anything else is INVALID_ARGUMENT with reason <c>INVALID_IDEMPOTENCY_KEY</c>.
    /// </summary>
    public static string? Read(ServerCallContext context)
    {
        if (!context.GetHttpContext().Request.Headers.TryGetValue(Name, out var values))
        {
            return null;
        }
        if (values.Count != 1)
        {
            throw Invalid($"Send one {Name}, not {values.Count}.");
        }
        var key = values[0] ?? "";
        if (key.Length is 0 or > MaxLength || !key.All(c => c is >= '!' and <= '~'))
        {
            throw Invalid($"{Name} must be 1-{MaxLength} visible ASCII characters (no spaces); got {key.Length} characters.");
        }
        return key;
    }

    /// <summary>
    /// SHA-256 of the request's protobuf bytes: the same message always encodes to the same bytes (fields in
    /// number order; no maps in the requests hashed), whichever transport it came by. Only this digest is kept,
    /// never the request, because a request may carry a secret (a credential's secret is write-only and lives
    /// only encrypted at rest); the digest tells a retry from another request and nothing more.
    /// </summary>
    public static byte[] Hash(IMessage request) => SHA256.HashData(request.ToByteArray());

    /// <summary>The name keys are kept under: <c>package.Service/Method</c>, as in the gRPC path.</summary>
    public static string MethodName(MethodDescriptor method) => $"{method.Service.FullName}/{method.Name}";

    /// <summary>The key was used within its window for a different request: ALREADY_EXISTS (HTTP 409).</summary>
    public static DomainException Reused() =>
        new(ErrorKind.AlreadyExists, "IDEMPOTENCY_KEY_REUSED",
            $"This {Name} was already used for a different request; send a new key with a new request.");

    private static DomainException Invalid(string description) =>
        new(ErrorKind.InvalidArgument, "INVALID_IDEMPOTENCY_KEY", description, [new FieldViolation(Name, description)]);
}
