using System.Security.Cryptography;
using System.Text;

namespace GrpcSync.Connectors.Filesystem.Tests;

public sealed class EnumerateTests : IDisposable
{
    private const string HelloSha256 = "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824";
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void The_connector_is_the_filesystem_integration_serving_files()
    {
        var connector = _tree.Connector();

        Assert.Equal("filesystem", connector.Integration);
        Assert.Equal(["files"], connector.Pipelines);
    }

    [Fact]
    public async Task Enumerating_a_tree_returns_every_file_and_folder_including_hidden_ones()
    {
        _tree.WriteSampleTree();

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        Assert.Equal([".hidden", "docs", "docs/a.txt", "docs/deep", "docs/deep/b.json", "notes.md"], records.Ids());
    }

    [Fact]
    public async Task A_file_record_carries_name_size_sha256_mime_type_timestamps_and_parent()
    {
        _tree.WriteSampleTree();

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        var file = records.Get("docs/a.txt");
        Assert.Equal("a.txt", file.Text("name"));
        Assert.Equal("text/plain", file.Text("mimeType"));
        Assert.Equal(5, file.Fields["size"]!.GetValue<long>());
        Assert.Equal(HelloSha256, file.Fields["hash"]!["sha256"]!.GetValue<string>());
        Assert.Equal("2020-01-01T00:00:00.000Z", file.Text("updatedAt"));
        Assert.Matches(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$", file.Text("createdAt"));
        Assert.Equal("docs", file.Text("parentFolderId"));
        Assert.Equal("docs/deep", records.Get("docs/deep/b.json").Text("parentFolderId"));
        Assert.Equal("application/json", records.Get("docs/deep/b.json").Text("mimeType"));
        Assert.Equal("", records.Get("notes.md").Text("parentFolderId"));
        Assert.Equal("text/markdown", records.Get("notes.md").Text("mimeType"));
    }

    [Fact]
    public async Task A_folder_record_has_the_directory_mime_type_zero_size_and_no_hash()
    {
        _tree.WriteSampleTree();

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        var folder = records.Get("docs/deep");
        Assert.Equal("deep", folder.Text("name"));
        Assert.Equal("inode/directory", folder.Text("mimeType"));
        Assert.Equal(0, folder.Fields["size"]!.GetValue<long>());
        Assert.False(folder.Fields.ContainsKey("hash"));
        Assert.Equal("docs", folder.Text("parentFolderId"));
        Assert.Equal("2020-01-01T00:00:00.000Z", folder.Text("updatedAt"));
        Assert.StartsWith("dir:", folder.Fingerprint);
    }

    [Fact]
    public async Task Unknown_and_missing_extensions_fall_back_to_octet_stream_and_extensions_ignore_case()
    {
        _tree.Write("data.weird", "x");
        _tree.Write("Makefile", "x");
        _tree.Write("PHOTO.JPG", "x");

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        Assert.Equal("application/octet-stream", records.Get("data.weird").Text("mimeType"));
        Assert.Equal("application/octet-stream", records.Get("Makefile").Text("mimeType"));
        Assert.Equal("image/jpeg", records.Get("PHOTO.JPG").Text("mimeType"));
    }

    [Fact]
    public async Task A_configured_folder_narrows_the_sync_but_ids_stay_relative_to_the_account_root()
    {
        _tree.WriteSampleTree();

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(folder: "docs"), default).RecordsAsync();

        Assert.Equal(["docs/a.txt", "docs/deep", "docs/deep/b.json"], records.Ids());
        Assert.Equal("", records.Get("docs/a.txt").Text("parentFolderId"));
        Assert.Equal("docs/deep", records.Get("docs/deep/b.json").Text("parentFolderId"));
    }

    [Fact]
    public async Task A_nested_configured_folder_narrows_to_its_own_contents()
    {
        _tree.WriteSampleTree();

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(folder: "docs/deep"), default).RecordsAsync();

        Assert.Equal(["docs/deep/b.json"], records.Ids());
    }

    [Fact]
    public async Task Records_come_in_pages_of_at_most_500_in_ordinal_order_and_only_the_last_page_has_a_cursor()
    {
        for (var i = 0; i < 1203; i++)
            File.WriteAllText(Path.Combine(_tree.AccountRoot, $"f{i:D4}.txt"), "x");
        _tree.Write("B.txt", "x"); // ordinal: uppercase sorts before lowercase
        _tree.SetAllTimes(TempTree.OldTime);

        var pages = await _tree.Connector().EnumerateAsync(_tree.Context(), default).PagesAsync();

        Assert.Equal([500, 500, 204], pages.Select(p => p.Records.Count));
        Assert.All(pages.SkipLast(1), p => Assert.Null(p.Cursor));
        Assert.NotNull(pages[^1].Cursor);
        var ids = pages.SelectMany(p => p.Records).Select(r => r.ExternalId).ToList();
        Assert.Equal("B.txt", ids[0]);
        Assert.Equal(ids.Order(StringComparer.Ordinal), ids);
    }

    [Fact]
    public async Task Enumeration_is_depth_first_with_names_in_ordinal_order()
    {
        _tree.WriteSampleTree();

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        Assert.Equal([".hidden", "docs", "docs/a.txt", "docs/deep", "docs/deep/b.json", "notes.md"], records.Select(r => r.ExternalId));
    }

    [Fact]
    public async Task An_empty_root_yields_one_empty_page_with_a_cursor()
    {
        _tree.SetAllTimes(TempTree.OldTime);

        var pages = await _tree.Connector().EnumerateAsync(_tree.Context(), default).PagesAsync();

        var page = Assert.Single(pages);
        Assert.Empty(page.Records);
        Assert.Equal((SourceExtensions.UnixMs(TempTree.OldTime) + 1).ToString(), page.Cursor);
    }

    [Fact]
    public async Task The_cursor_is_one_millisecond_after_the_newest_last_write_time()
    {
        _tree.WriteSampleTree();
        var newest = new DateTime(2021, 6, 1, 12, 30, 45, 123, DateTimeKind.Utc);
        File.SetLastWriteTimeUtc(_tree.Full("docs/deep/b.json"), newest);

        var (_, cursor) = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAndCursorAsync();

        Assert.Equal((SourceExtensions.UnixMs(newest) + 1).ToString(), cursor);
    }

    [Fact]
    public async Task A_future_last_write_time_does_not_move_the_cursor_past_the_clock()
    {
        _tree.WriteSampleTree();
        File.SetLastWriteTimeUtc(_tree.Full("notes.md"), new DateTime(2100, 1, 1, 0, 0, 0, DateTimeKind.Utc));

        var before = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
        var (_, cursor) = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAndCursorAsync();
        var after = DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();

        // The walk's start minus the 2 s safety margin: not the year 2100, and not a cursor of "0"
        // (which would re-read everything next time).
        Assert.InRange(long.Parse(cursor, System.Globalization.CultureInfo.InvariantCulture), before - 2000, after - 2000);
    }

    [Fact]
    public async Task An_empty_file_gets_the_sha256_of_no_bytes()
    {
        _tree.Write("empty.txt", "");

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData([])), records.Get("empty.txt").Fields["hash"]!["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_file_larger_than_256_MiB_gets_its_size_but_no_hash()
    {
        var path = _tree.Full("big.bin");
        using (var stream = File.Create(path))
            stream.SetLength(256L * 1024 * 1024 + 1); // sparse on most filesystems

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        var big = records.Get("big.bin");
        Assert.Equal(256L * 1024 * 1024 + 1, big.Fields["size"]!.GetValue<long>());
        Assert.False(big.Fields.ContainsKey("hash"));
    }

    [Fact]
    public async Task The_fingerprint_changes_when_size_or_last_write_time_changes()
    {
        _tree.WriteSampleTree();
        var connector = _tree.Connector();
        var before = (await connector.EnumerateAsync(_tree.Context(), default).RecordsAsync()).Get("docs/a.txt").Fingerprint;

        File.SetLastWriteTimeUtc(_tree.Full("docs/a.txt"), TempTree.OldTime.AddSeconds(1));
        var touched = (await connector.EnumerateAsync(_tree.Context(), default).RecordsAsync()).Get("docs/a.txt").Fingerprint;
        File.WriteAllText(_tree.Full("docs/a.txt"), "hello!");
        File.SetLastWriteTimeUtc(_tree.Full("docs/a.txt"), TempTree.OldTime.AddSeconds(1));
        var grown = (await connector.EnumerateAsync(_tree.Context(), default).RecordsAsync()).Get("docs/a.txt").Fingerprint;
        var again = (await connector.EnumerateAsync(_tree.Context(), default).RecordsAsync()).Get("docs/a.txt").Fingerprint;

        Assert.NotEqual(before, touched);
        Assert.NotEqual(touched, grown);
        Assert.Equal(grown, again);
    }

    [Fact]
    public async Task The_hash_follows_the_content()
    {
        _tree.Write("x.txt", "some content");

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        var expected = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes("some content")));
        Assert.Equal(expected, records.Get("x.txt").Fields["hash"]!["sha256"]!.GetValue<string>());
    }

    [Fact]
    public async Task A_root_that_disappears_between_runs_is_reported_as_ROOT_NOT_FOUND()
    {
        _tree.WriteSampleTree();
        var connector = _tree.Connector();
        await connector.EnumerateAsync(_tree.Context(), default).RecordsAsync();

        Directory.Delete(_tree.AccountRoot, recursive: true);

        var error = await Assert.ThrowsAsync<PermanentSourceException>(() => connector.EnumerateAsync(_tree.Context(), default).RecordsAsync());
        Assert.Equal("ROOT_NOT_FOUND", error.Code);
    }
}
