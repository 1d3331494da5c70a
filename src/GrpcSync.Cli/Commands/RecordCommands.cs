using System.CommandLine;
using System.Globalization;
using Grpc.Core;
using GrpcSync.Cli.Errors;
using GrpcSync.Cli.Invocation;
using GrpcSync.V1;

namespace GrpcSync.Cli.Commands;

/// <summary><c>grpcsync records …</c>: a Sync's synced records (pages in change order, one record, its content).</summary>
public static class RecordCommands
{
    public static Command Build()
    {
        var records = new Command("records", "Read a Sync's synced records.");
        records.Subcommands.Add(List());
        records.Subcommands.Add(Get());
        records.Subcommands.Add(Content());
        return records;
    }

    private static Command List()
    {
        var id = Arguments.SyncId();
        var pageSize = Arguments.PageSize("Records per page (default 100, at most 1000).");
        var cursor = new Option<string?>("--cursor") { Description = "The paging.cursor of the previous page (absent: from the beginning)." };
        var command = new Command("list", "List a Sync's records in change order (tombstones included).") { id, pageSize, cursor };
        CommandAction.Set(command, async (cli, parse, ct) =>
        {
            var response = await cli.Syncs.ListSyncedRecordsAsync(new ListSyncedRecordsRequest
            {
                SyncId = parse.GetValue(id)!,
                PageSize = parse.GetValue(pageSize),
                Cursor = parse.GetValue(cursor) ?? "",
            }, cli.Call(ct));
            var paging = response.Paging;
            var footer = paging is null || !paging.HasRemainingRecords || paging.RemainingRecords == 0
                ? null
                : $"{paging.RemainingRecords.ToString(CultureInfo.InvariantCulture)} more: --cursor {paging.Cursor}";
            cli.Printer.ShowList(response, "data", Columns.Records, footer);
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Get()
    {
        var id = Arguments.SyncId();
        var record = Arguments.RecordId();
        var command = new Command("get", "Show one record.") { id, record };
        CommandAction.Set(command, async (cli, parse, ct) =>
        {
            cli.Printer.Show(await cli.Syncs.GetSyncedRecordAsync(
                new GetSyncedRecordRequest { SyncId = parse.GetValue(id)!, RecordId = parse.GetValue(record)! }, cli.Call(ct)));
            return ExitCodes.Ok;
        });
        return command;
    }

    private static Command Content()
    {
        var id = Arguments.SyncId();
        var record = Arguments.RecordId();
        var output = new Option<FileInfo?>("--out") { Description = "Write the bytes to this file instead of stdout." };
        var range = new Option<string?>("--range") { Description = "One byte range as HTTP writes it: bytes=0-1023, bytes=100-, bytes=-500." };
        var command = new Command("content", "Download a file record's content, streamed from the source (raw bytes).") { id, record, output, range };
        CommandAction.Set(command, async (cli, parse, ct) =>
        {
            using var call = cli.Syncs.GetSyncedRecordContent(new GetSyncedRecordContentRequest
            {
                SyncId = parse.GetValue(id)!,
                RecordId = parse.GetValue(record)!,
                Range = parse.GetValue(range) ?? "",
            }, cli.Call(ct));
            // Wait for the first message (or the error) before a file is created: a failed call leaves no empty file.
            var stream = call.ResponseStream;
            var hasFirst = await stream.MoveNext(ct);
            var file = parse.GetValue(output);
            await using var target = file is null ? Console.OpenStandardOutput() : file.Create();
            for (var more = hasFirst; more; more = await stream.MoveNext(ct))
            {
                stream.Current.Data.WriteTo(target);
            }
            await target.FlushAsync(ct);
            if (file is not null)
            {
                await Console.Error.WriteLineAsync($"wrote {file.Length.ToString(CultureInfo.InvariantCulture)} bytes to {file.FullName}");
            }
            return ExitCodes.Ok;
        });
        return command;
    }
}
