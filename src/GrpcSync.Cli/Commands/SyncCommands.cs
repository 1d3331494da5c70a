using System.CommandLine;
using Google.Protobuf.WellKnownTypes;
using GrpcSync.Cli.Errors;
using GrpcSync.Cli.Invocation;
using GrpcSync.V1;

namespace GrpcSync.Cli.Commands;

/// <summary>
/// <c>grpcsync syncs …</c>: SyncService, one subcommand per RPC (events aside: <c>grpcsync events watch</c>).
/// The long-running ones are in their own files: <c>trigger --wait</c> (.Trigger) and <c>get --watch</c> (.Watch).
/// </summary>
public static partial class SyncCommands
{
    public static Command Build()
    {
        var syncs = new Command("syncs", "Enable, inspect, change and run Syncs.");
        syncs.Subcommands.Add(List());
        syncs.Subcommands.Add(Get());
        syncs.Subcommands.Add(Enable());
        syncs.Subcommands.Add(Update());
        syncs.Subcommands.Add(Disable());
        syncs.Subcommands.Add(Reenable());
        syncs.Subcommands.Add(Delete());
        syncs.Subcommands.Add(Trigger());
        syncs.Subcommands.Add(Runs());
        syncs.Subcommands.Add(Cancel());
        return syncs;
    }

    private static Command List()
    {
        var credential = new Option<string?>("--credential") { Description = "Only Syncs bound to this credential." };
        return CommandBuilder.Listing("list", "List your Syncs, oldest first.", [credential], (cli, parse, ct) =>
        {
            var request = new ListSyncsRequest();
            if (parse.GetValue(credential) is { } id)
            {
                request.CredentialId = id;
            }
            return cli.Syncs.ListSyncsAsync(request, cli.Call(ct)).ResponseAsync;
        }, "data", Columns.Syncs);
    }

    private static Command Get()
    {
        var id = Arguments.SyncId();
        var watch = new Option<bool>("--watch", "-w") { Description = "Keep refreshing the Sync until Ctrl+C (or until it is deleted)." };
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between refreshes with --watch.",
            DefaultValueFactory = _ => 2,
        };
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is < 0.1 or > 3600)
            {
                r.AddError("--interval must be between 0.1 and 3600 seconds.");
            }
        });
        var command = CommandBuilder.Create("get", "Show one Sync: status, summary, schedule, runs, etag.", id, watch, interval);
        CommandAction.Set(command, async (cli, parse, ct) =>
        {
            var syncId = parse.GetValue(id)!;
            if (parse.GetValue(watch))
            {
                return await WatchAsync(cli, syncId, TimeSpan.FromSeconds(parse.GetValue(interval)), ct);
            }
            cli.Printer.Show(await cli.Syncs.GetSyncAsync(new GetSyncRequest { SyncId = syncId }, cli.Call(ct)));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Enable()
    {
        var integration = new Option<string>("--integration") { Description = "The integration key, e.g. filesystem or s3.", Required = true };
        var pipeline = new Option<string>("--pipeline") { Description = "The synced object type, e.g. files.", Required = true };
        var configuration = new Option<string?>("--configuration") { Description = "Integration options as a JSON object, e.g. '{\"folder\":\"docs\"}'." };
        var name = new Option<string?>("--configuration-name") { Description = "Tells several Syncs of one integration and pipeline apart (default: default)." };
        var credential = new Option<string?>("--credential") { Description = "The credential to read with (default: your oldest of the integration)." };
        var frequency = new Option<string?>("--frequency") { Description = "Incremental frequency: 1m 5m 10m 30m 1h 3h 6h 24h (default 1m)." };
        return CommandBuilder.Showing("enable", "Enable (create and start) a Sync; enabling the same one again returns it.",
            [integration, pipeline, configuration, name, credential, frequency], (cli, parse, ct) =>
        {
            var request = new EnableSyncRequest
            {
                Integration = parse.GetValue(integration)!,
                Pipeline = parse.GetValue(pipeline)!,
                ConfigurationName = parse.GetValue(name) ?? "",
            };
            if (parse.GetValue(configuration) is { } json)
            {
                request.Configuration = ParseObject("--configuration", json);
            }
            if (parse.GetValue(credential) is { } credentialId)
            {
                request.CredentialId = credentialId;
            }
            if (parse.GetValue(frequency) is { } every)
            {
                request.IncrementalAccumulatorFrequency = every;
            }
            return cli.Syncs.EnableSyncAsync(request, cli.Call(ct)).ResponseAsync;
        });
    }

    private static Command Update()
    {
        var id = Arguments.SyncId();
        var credential = new Option<string?>("--credential") { Description = "Rebind to this credential (queues one FULL run)." };
        var frequency = new Option<string?>("--frequency") { Description = "New incremental frequency: 1m 5m 10m 30m 1h 3h 6h 24h." };
        var ifMatch = new Option<string?>("--if-match") { Description = "Update only if the Sync's etag is still this one (else ABORTED)." };
        return CommandBuilder.Showing("update", "Change a Sync's credential and/or frequency.", [id, credential, frequency, ifMatch], (cli, parse, ct) =>
        {
            var request = new UpdateSyncRequest { SyncId = parse.GetValue(id)! };
            if (parse.GetValue(credential) is { } credentialId)
            {
                request.CredentialId = credentialId;
            }
            if (parse.GetValue(frequency) is { } every)
            {
                request.IncrementalAccumulatorFrequency = every;
            }
            if (parse.GetValue(ifMatch) is { } etag)
            {
                request.Etag = etag;
            }
            // "At least one field" is the server's rule (INVALID_ARGUMENT with its violations): not repeated here.
            return cli.Syncs.UpdateSyncAsync(request, cli.Call(ct)).ResponseAsync;
        });
    }

    private static Command Disable() => CommandBuilder.ForId("disable", "Disable (pause) a Sync; its records stay readable.", Arguments.SyncId(),
        (cli, id, ct) => cli.Syncs.DisableSyncAsync(new DisableSyncRequest { SyncId = id }, cli.Call(ct)).ResponseAsync);

    private static Command Reenable() => CommandBuilder.ForId("reenable", "Re-enable a DISABLED or ERRORED Sync.", Arguments.SyncId(),
        (cli, id, ct) => cli.Syncs.ReenableSyncAsync(new ReenableSyncRequest { SyncId = id }, cli.Call(ct)).ResponseAsync);

    private static Command Delete() => CommandBuilder.ForId("delete", "Delete a Sync with its runs and records.", Arguments.SyncId(),
        (cli, id, ct) => cli.Syncs.DeleteSyncAsync(new DeleteSyncRequest { SyncId = id }, cli.Call(ct)).ResponseAsync);

    private static Command Runs()
    {
        var id = Arguments.SyncId();
        var pageSize = Arguments.PageSize("Runs per page (default 20, at most 100).");
        var pageToken = Arguments.PageToken();
        return CommandBuilder.Listing("runs", "List a Sync's runs, newest first.", [id, pageSize, pageToken], (cli, parse, ct) =>
            cli.Syncs.ListSyncRunsAsync(new ListSyncRunsRequest
            {
                SyncId = parse.GetValue(id)!,
                PageSize = parse.GetValue(pageSize),
                PageToken = parse.GetValue(pageToken) ?? "",
            }, cli.Call(ct)).ResponseAsync, "runs", Columns.Runs, response => response.NextPageToken);
    }

    private static Command Cancel()
    {
        var id = Arguments.SyncId();
        var run = Arguments.RunId();
        return CommandBuilder.Showing("cancel", "Cancel a queued or running run.", [id, run], (cli, parse, ct) =>
            cli.Syncs.CancelSyncRunAsync(new CancelSyncRunRequest { SyncId = parse.GetValue(id)!, RunId = parse.GetValue(run)! }, cli.Call(ct)).ResponseAsync);
    }

    /// <summary>A JSON object option as a protobuf Struct; bad JSON is bad input (exit code 2).</summary>
    public static Struct ParseObject(string option, string json)
    {
        try
        {
            return Struct.Parser.ParseJson(json);
        }
        catch (Exception error) when (error is Google.Protobuf.InvalidJsonException or Google.Protobuf.InvalidProtocolBufferException or FormatException)
        {
            throw new UsageException($"{option} must be a JSON object: {error.Message}");
        }
    }
}
