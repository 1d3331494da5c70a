namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>Full gRPC method names (service/method) of protos/grpcsync/v1.</summary>
public static class Methods
{
    public const string CreateCredential = "grpcsync.v1.CredentialService/CreateCredential";
    public const string ListCredentials = "grpcsync.v1.CredentialService/ListCredentials";
    public const string EnableSync = "grpcsync.v1.SyncService/EnableSync";
    public const string GetSync = "grpcsync.v1.SyncService/GetSync";
    public const string ListSyncs = "grpcsync.v1.SyncService/ListSyncs";
    public const string UpdateSync = "grpcsync.v1.SyncService/UpdateSync";
    public const string TriggerSync = "grpcsync.v1.SyncService/TriggerSync";
    public const string ListSyncedRecords = "grpcsync.v1.SyncService/ListSyncedRecords";
    public const string GetSyncedRecordContent = "grpcsync.v1.SyncService/GetSyncedRecordContent";
    public const string HealthCheck = "grpc.health.v1.Health/Check";

    public const string UpdateAcceptedMessage = "Update request accepted and is being processed";
}
