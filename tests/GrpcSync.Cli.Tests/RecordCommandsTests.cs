using GrpcSync.Cli.Tests.Infrastructure;
using GrpcSync.EndToEnd.Tests.Infrastructure;

namespace GrpcSync.Cli.Tests;

/// <summary><c>grpcsync records list|get|content</c>: pages, one record, its bytes to stdout or a file.</summary>
[Collection(CliCollection.Name)]
public sealed class RecordCommandsTests(CliServer server)
{
    [Fact]
    public async Task List_pages_with_the_cursor_and_get_shows_one_record()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);

        var all = await server.OkAsync(token, "records", "list", syncId);
        var records = all["data"]!.AsArray();
        Assert.Equal(all["paging"]!["totalRecords"]!.GetValue<long>(), records.Count);
        Assert.Contains(records, r => r!["externalId"]!.GetValue<string>().EndsWith("report.csv", StringComparison.Ordinal));

        var first = await server.OkAsync(token, "records", "list", syncId, "--page-size", "2");
        Assert.Equal(2, first["data"]!.AsArray().Count);
        Assert.Equal(all["paging"]!["totalRecords"]!.GetValue<long>() - 2, first["paging"]!["remainingRecords"]!.GetValue<long>());
        var rest = await server.OkAsync(token, "records", "list", syncId, "--cursor", first["paging"]!["cursor"]!.GetValue<string>());
        Assert.Equal(all["data"]!.AsArray().Count - 2, rest["data"]!.AsArray().Count);

        var recordId = all["data"]![0]!["id"]!.GetValue<string>();
        var one = await server.OkAsync(token, "records", "get", syncId, recordId);
        Assert.Equal(recordId, one["data"]!["id"]!.GetValue<string>());

        var table = await server.RunAsync(token, "records", "list", syncId, "--page-size", "2", "--output", "table");
        Assert.True(table.ExitCode == 0, table.ToString());
        Assert.Contains("EXTERNAL ID", table.StdOut);
        Assert.Matches(@"\d+ more: --cursor \S+", table.StdOut);
        var tableGet = await server.RunAsync(token, "records", "get", syncId, recordId, "-o", "table");
        Assert.Matches(@$"│ data\.id\s+│ {recordId}", tableGet.StdOut);
    }

    [Fact]
    public async Task Content_writes_the_bytes_to_stdout_or_to_a_file_and_serves_a_range()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);
        var report = await RecordAsync(token, syncId, "report.csv");
        var expected = TestEnvironment.AccountFiles.Single(f => f.Path == "root/report.csv").Text;

        var toStdout = await server.RunAsync(token, "records", "content", syncId, report);
        Assert.True(toStdout.ExitCode == 0, toStdout.ToString());
        Assert.Equal(expected, toStdout.StdOut);

        var file = Path.Combine(Path.GetTempPath(), $"grpcsync-cli-{Guid.NewGuid():N}.csv");
        try
        {
            var toFile = await server.RunAsync(token, "records", "content", syncId, report, "--out", file);
            Assert.True(toFile.ExitCode == 0, toFile.ToString());
            Assert.Equal(expected, await File.ReadAllTextAsync(file));
            Assert.Empty(toFile.StdOut);
            Assert.Contains($"wrote {expected.Length} bytes", toFile.StdErr);
        }
        finally
        {
            File.Delete(file);
        }

        var range = await server.RunAsync(token, "records", "content", syncId, report, "--range", "bytes=0-2");
        Assert.True(range.ExitCode == 0, range.ToString());
        Assert.Equal(expected[..3], range.StdOut);
    }

    [Fact]
    public async Task Content_errors_leave_no_file_a_bad_range_is_2_and_an_unknown_record_is_3()
    {
        var token = server.NewUserToken();
        var (_, _, syncId) = await server.IdleSyncAsync(token);
        var report = await RecordAsync(token, syncId, "report.csv");

        var badRange = await server.RunAsync(token, "records", "content", syncId, report, "--range", "lines=1-2");
        Assert.True(badRange.ExitCode == 2, badRange.ToString());
        Assert.Equal("INVALID_ARGUMENT", badRange.Error["code"]!.GetValue<string>());
        Assert.Contains(badRange.Error["fieldViolations"]!.AsArray(), v => v!["field"]!.GetValue<string>() == "range");

        var file = Path.Combine(Path.GetTempPath(), $"grpcsync-cli-{Guid.NewGuid():N}.bin");
        var unknown = await server.RunAsync(token, "records", "content", syncId, Guid.NewGuid().ToString(), "--out", file);
        Assert.True(unknown.ExitCode == 3, unknown.ToString());
        Assert.False(File.Exists(file));
        var get = await server.RunAsync(token, "records", "get", syncId, Guid.NewGuid().ToString());
        Assert.True(get.ExitCode == 3, get.ToString());
    }

    private async Task<string> RecordAsync(string token, string syncId, string externalIdEnd)
    {
        var records = (await server.OkAsync(token, "records", "list", syncId))["data"]!.AsArray();
        return records.Single(r => r!["externalId"]!.GetValue<string>().EndsWith(externalIdEnd, StringComparison.Ordinal))!["id"]!.GetValue<string>();
    }
}
