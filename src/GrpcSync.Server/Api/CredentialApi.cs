using Google.Protobuf;
using Grpc.Core;
using GrpcSync.Connectors;
using GrpcSync.Domain;
using GrpcSync.Server.Auth;
using GrpcSync.Storage;
using GrpcSync.V1;
using Microsoft.AspNetCore.DataProtection;
using Credential = GrpcSync.V1.Credential;

namespace GrpcSync.Server.Api;

/// <summary>
/// CredentialService: the caller's connected accounts. Secrets are encrypted with ASP.NET Core Data
/// Protection before they reach the store and are never returned or logged.
/// </summary>
public sealed class CredentialApi(ISyncStore store, IDataProtectionProvider protection, ConnectorRegistry connectors, TimeProvider time)
    : CredentialService.CredentialServiceBase
{
    /// <summary>The Data Protection purpose of credential secrets (changing it makes stored secrets unreadable).</summary>
    public const string SecretPurpose = "GrpcSync.Credentials.Secret.v1";

    private static readonly string CreateMethod =
        IdempotencyHeader.MethodName(CredentialService.Descriptor.FindMethodByName(nameof(CreateCredential)));

    /// <summary>
    /// Creates a credential. With an <c>Idempotency-Key</c>, a retry of the same request gets the first answer
    /// (same id, nothing new stored) and another request under that key is refused.
    /// </summary>
    public override async Task<Credential> CreateCredential(CreateCredentialRequest request, ServerCallContext context)
    {
        var scope = context.Caller();
        var idempotencyKey = IdempotencyHeader.Read(context);
        var v = new Violations();
        v.IntegrationKey("integration", request.Integration);
        v.Text("displayName", request.DisplayName, 200, required: true);
        var secret = CredentialSecret.Read(request, v);
        // The connector's own shape check (e.g. s3: secret.accessKeyId), when the integration is served here.
        connectors.TryGet(request.Integration, out var connector);
        secret?.Validate(connector, v);
        v.ThrowIfAny();
        if (request.Verify)
        {
            await secret!.VerifyAsync(request.Integration, connector, context.CancellationToken);
        }

        var now = time.GetUtcNow().TruncateToMilliseconds();
        var credential = new Domain.Credential
        {
            Id = Guid.CreateVersion7(now),
            ProjectId = scope.ProjectId,
            UserId = scope.UserId,
            Integration = request.Integration,
            DisplayName = request.DisplayName.Trim(),
            ProtectedSecret = protection.CreateProtector(SecretPurpose).Protect(secret!.Text),
            CreatedAt = now,
        };
        var answer = credential.ToProto();
        if (idempotencyKey is null)
        {
            await store.InsertCredentialAsync(credential, context.CancellationToken);
            return answer;
        }

        var create = new IdempotentCreate(new IdempotencyKey(scope, CreateMethod, idempotencyKey),
            IdempotencyHeader.Hash(request), answer.ToByteArray(), now);
        var result = await store.InsertCredentialOnceAsync(credential, create, context.CancellationToken);
        return result.Outcome switch
        {
            IdempotencyOutcome.Created => answer,
            IdempotencyOutcome.Replayed => Credential.Parser.ParseFrom(result.Response!), // set for every replay
            _ => throw IdempotencyHeader.Reused(),
        };
    }

    public override async Task<ListCredentialsResponse> ListCredentials(ListCredentialsRequest request, ServerCallContext context)
    {
        if (!string.IsNullOrEmpty(request.Integration))
        {
            var v = new Violations();
            v.IntegrationKey("integration", request.Integration);
            v.ThrowIfAny();
        }
        var credentials = await store.ListCredentialsAsync(context.Caller(),
            string.IsNullOrEmpty(request.Integration) ? null : request.Integration, context.CancellationToken);
        var response = new ListCredentialsResponse();
        response.Data.AddRange(credentials.Select(c => c.ToProto()));
        return response;
    }

    public override async Task<Credential> GetCredential(GetCredentialRequest request, ServerCallContext context)
    {
        var id = CredentialId(request.CredentialId);
        var credential = await store.GetCredentialAsync(context.Caller(), id, context.CancellationToken)
            ?? throw DomainException.CredentialNotFound(request.CredentialId);
        return credential.ToProto();
    }

    public override async Task<DeleteCredentialResponse> DeleteCredential(DeleteCredentialRequest request, ServerCallContext context)
    {
        var id = CredentialId(request.CredentialId);
        var now = time.GetUtcNow().TruncateToMilliseconds();
        var deleted = await store.DeleteCredentialAsync(context.Caller(), id, now,
            bound => SyncRules.CredentialDeleted(bound, id, now), context.CancellationToken);
        if (!deleted)
        {
            throw DomainException.CredentialNotFound(request.CredentialId);
        }
        return new DeleteCredentialResponse { Id = id.ToString(), Message = "Credential successfully deleted" };
    }

    private static Guid CredentialId(string raw)
    {
        var v = new Violations();
        var id = v.Uuid("credentialId", raw, required: true);
        v.ThrowIfAny();
        return id!.Value;
    }
}
