using GrpcSync.Cli.Output;

namespace GrpcSync.Cli.Commands;

/// <summary>The table columns of each listed resource (JSON paths of its REST shape).</summary>
public static class Columns
{
    public static readonly Column[] Syncs =
    [
        new("ID", "id"), new("INTEGRATION", "integration"), new("PIPELINE", "pipeline"), new("STATUS", "status"),
        new("CREDENTIAL", "credentialId"), new("RECORDS", "summary.totalRecords"), new("NEXT RUN", "nextRunAt"),
    ];

    public static readonly Column[] Runs =
    [
        new("ID", "id"), new("TYPE", "type"), new("TRIGGER", "trigger"), new("STATE", "state"), new("ATTEMPT", "attempt"),
        new("CREATED", "createdAt"), new("STARTED", "startedAt"), new("FINISHED", "finishedAt"), new("ERROR", "error", Wraps: true),
    ];

    public static readonly Column[] Records =
    [
        new("ID", "id"), new("EXTERNAL ID", "externalId", Wraps: true), new("SYNCED AT", "syncedAt"), new("DELETED", "deleted"),
    ];

    public static readonly Column[] Credentials =
    [
        new("ID", "id"), new("INTEGRATION", "integration"), new("NAME", "displayName", Wraps: true), new("CREATED", "dateCreated"),
    ];

    public static readonly Column[] Webhooks =
    [
        new("ID", "id"), new("URL", "url", Wraps: true), new("ENABLED", "enabled"), new("EVENTS", "events", Wraps: true), new("DESCRIPTION", "description", Wraps: true),
    ];

    public static readonly Column[] Deliveries =
    [
        new("ID", "id"), new("EVENT", "eventType"), new("STATE", "state"), new("ATTEMPTS", "attempts"),
        new("LAST STATUS", "lastStatusCode"), new("NEXT ATTEMPT", "nextAttemptAt"), new("LAST ERROR", "lastError", Wraps: true),
    ];
}
