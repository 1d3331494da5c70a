using System.Text;
using System.Security.Cryptography;

namespace GrpcSync.Connectors.Filesystem.Tests;

public sealed class ChangesSinceTests : IDisposable
{
    private static readonly DateTime Later = TempTree.OldTime.AddDays(1);
    private readonly TempTree _tree = new();

    public ChangesSinceTests() => _tree.WriteSampleTree();

    public void Dispose() => _tree.Dispose();

    private async Task<string> InitialCursorAsync() =>
        (await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAndCursorAsync()).Cursor;

    [Fact]
    public async Task An_unchanged_tree_reports_no_records_and_keeps_the_cursor()
    {
        var cursor = await InitialCursorAsync();

        var (records, next) = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor, default).RecordsAndCursorAsync();

        Assert.Empty(records);
        Assert.Equal(cursor, next);
    }

    [Fact]
    public async Task A_created_file_is_reported()
    {
        var cursor = await InitialCursorAsync();
        var path = _tree.Write("docs/deep/new.txt", "new");
        File.SetLastWriteTimeUtc(path, Later);
        Directory.SetLastWriteTimeUtc(_tree.Full("docs/deep"), TempTree.OldTime);

        var (records, next) = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor, default).RecordsAndCursorAsync();

        Assert.Equal(["docs/deep/new.txt"], records.Ids());
        Assert.Equal((SourceExtensions.UnixMs(Later) + 1).ToString(), next);
    }

    [Fact]
    public async Task A_modified_file_is_reported_with_its_new_hash_and_size()
    {
        var cursor = await InitialCursorAsync();
        var path = _tree.Full("docs/a.txt");
        File.WriteAllText(path, "hello, world");
        File.SetLastWriteTimeUtc(path, Later);

        var records = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor, default).RecordsAsync();

        var record = Assert.Single(records);
        Assert.Equal("docs/a.txt", record.ExternalId);
        Assert.Equal(12, record.Fields["size"]!.GetValue<long>());
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("hello, world"))), record.Fields["hash"]!["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_write_in_the_same_millisecond_as_the_cursor_is_reported()
    {
        var cursor = SourceExtensions.UnixMs(Later).ToString();
        File.SetLastWriteTimeUtc(_tree.Full("notes.md"), Later);

        var records = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor, default).RecordsAsync();

        Assert.Equal(["notes.md"], records.Ids());
    }

    [Fact]
    public async Task A_file_moved_in_with_an_old_last_write_time_is_found_through_its_folder()
    {
        var cursor = await InitialCursorAsync();
        var staged = Path.Combine(_tree.Outside, "moved.txt");
        File.WriteAllText(staged, "moved");
        File.SetLastWriteTimeUtc(staged, new DateTime(2000, 1, 1, 0, 0, 0, DateTimeKind.Utc));
        File.Move(staged, _tree.Full("docs/deep/moved.txt")); // updates docs/deep's last-write time

        var records = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor, default).RecordsAsync();

        // The folder itself changed, and all its direct children are re-read; nothing else is.
        Assert.Equal(["docs/deep", "docs/deep/b.json", "docs/deep/moved.txt"], records.Ids());
    }

    [Fact]
    public async Task A_deleted_file_is_not_reported()
    {
        var cursor = await InitialCursorAsync();
        File.Delete(_tree.Full("docs/a.txt"));
        Directory.SetLastWriteTimeUtc(_tree.Full("docs"), TempTree.OldTime);

        var records = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor, default).RecordsAsync();

        Assert.Empty(records);
    }

    [Fact]
    public async Task Changes_outside_the_configured_folder_are_not_reported()
    {
        var cursor = (await _tree.Connector().EnumerateAsync(_tree.Context(folder: "docs"), default).RecordsAndCursorAsync()).Cursor;
        File.SetLastWriteTimeUtc(_tree.Full("notes.md"), Later);
        File.SetLastWriteTimeUtc(_tree.Full("docs/deep/b.json"), Later);

        var records = await _tree.Connector().ChangesSinceAsync(_tree.Context(folder: "docs"), cursor, default).RecordsAsync();

        Assert.Equal(["docs/deep/b.json"], records.Ids());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("not-a-cursor")]
    [InlineData("12.5")]
    public async Task A_missing_or_unreadable_cursor_means_every_record(string? cursor)
    {
        var (records, next) = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor, default).RecordsAndCursorAsync();

        Assert.Equal([".hidden", "docs", "docs/a.txt", "docs/deep", "docs/deep/b.json", "notes.md"], records.Ids());
        Assert.Equal((SourceExtensions.UnixMs(TempTree.OldTime) + 1).ToString(), next);
    }

    [Fact]
    public async Task The_cursor_never_moves_backwards()
    {
        var ahead = SourceExtensions.UnixMs(Later).ToString();

        var (records, next) = await _tree.Connector().ChangesSinceAsync(_tree.Context(), ahead, default).RecordsAndCursorAsync();

        Assert.Empty(records);
        Assert.Equal(ahead, next);
    }

    [Fact]
    public async Task A_recent_write_keeps_the_cursor_behind_the_clock_so_later_writes_are_not_missed()
    {
        var cursor = await InitialCursorAsync();
        File.SetLastWriteTimeUtc(_tree.Full("notes.md"), DateTime.UtcNow);

        var (first, next) = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor, default).RecordsAndCursorAsync();
        var second = await _tree.Connector().ChangesSinceAsync(_tree.Context(), next, default).RecordsAsync();

        Assert.Equal(["notes.md"], first.Ids());
        Assert.True(long.Parse(next) <= DateTimeOffset.UtcNow.ToUnixTimeMilliseconds() - 2000);
        Assert.Equal(["notes.md"], second.Ids()); // re-reported (the engine drops it by fingerprint)
    }
}
