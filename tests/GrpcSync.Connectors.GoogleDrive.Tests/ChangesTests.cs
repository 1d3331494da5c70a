namespace GrpcSync.Connectors.GoogleDrive.Tests;

/// <summary>INCREMENTAL runs on changes.list: changes, removals, trash, moves out of and into the folder, paging cursors.</summary>
public sealed class ChangesTests() : DriveTest(TestStore.Sqlite)
{
    [Fact]
    public async Task Changes_become_records_and_removals_and_trashed_files_become_deletions()
    {
        W.Drive.Put("keep", "keep.txt", content: "k");
        W.Drive.Put("gone", "gone.txt", content: "g");
        W.Drive.Put("binned", "binned.txt", content: "b");
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);
        var cursor = (await PagesAsync(W.Connector.EnumerateAsync(context, default))).Last().Cursor;

        W.Drive.Change("keep", f => f.Content = "kept, edited"u8.ToArray());
        W.Drive.Delete("gone");
        W.Drive.Change("binned", f => f.Trashed = true);
        W.Drive.Put("new", "new.txt", content: "n");
        var pages = await PagesAsync(W.Connector.ChangesSinceAsync(context, cursor, default));

        var page = Assert.Single(pages);
        Assert.Equal(["keep", "new"], page.Records.Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.Equal(12, (long?)page.Records.Single(r => r.ExternalId == "keep").Fields["size"]);
        Assert.Equal(["binned", "gone"], page.Deleted.Order(StringComparer.Ordinal));
        Assert.NotEqual(cursor, page.Cursor);
        Assert.Contains(W.Drive.Requests, r => r.StartsWith("/drive/v3/changes?", StringComparison.Ordinal) && r.Contains("includeRemoved=true", StringComparison.Ordinal));

        // The new start page token: nothing more since.
        var again = await PagesAsync(W.Connector.ChangesSinceAsync(context, page.Cursor, default));
        Assert.Empty(Assert.Single(again).Records);
    }

    [Fact]
    public async Task Each_feed_page_carries_the_token_to_resume_from_and_the_last_the_new_start_page_token()
    {
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);
        var start = Assert.Single(await PagesAsync(W.Connector.ChangesSinceAsync(context, null, default))).Cursor;
        W.Drive.MaxPageSize = 2;
        for (var i = 0; i < 5; i++)
        {
            W.Drive.Put($"c{i}", $"c{i}.txt", content: "x");
        }

        var pages = await PagesAsync(W.Connector.ChangesSinceAsync(context, start, default));

        Assert.Equal(3, pages.Count);
        Assert.Equal(5, pages.Sum(p => p.Records.Count));
        Assert.Equal(pages.Count, pages.Select(p => p.Cursor).Distinct().Count());
        // Resuming from a middle page's token replays only what follows it.
        var rest = await PagesAsync(W.Connector.ChangesSinceAsync(context, pages[0].Cursor, default));
        Assert.Equal(["c2", "c3", "c4"], rest.SelectMany(p => p.Records).Select(r => r.ExternalId));
    }

    [Fact]
    public async Task In_a_folder_sync_a_file_moved_out_is_a_deletion_and_one_moved_in_deep_is_a_record()
    {
        W.Drive.Folder("top", "Top");
        W.Drive.Folder("sub", "Sub", parent: "top");
        W.Drive.Put("leaving", "leaving.txt", parent: "sub", content: "l");
        W.Drive.Put("arriving", "arriving.txt", parent: "root", content: "a");
        W.Drive.Put("outside", "outside.txt", parent: "root", content: "o");
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential, new { folderId = "top" });
        var cursor = (await PagesAsync(W.Connector.EnumerateAsync(context, default))).Last().Cursor;

        W.Drive.Change("leaving", f => f.Parents = ["root"]);
        W.Drive.Change("arriving", f => f.Parents = ["sub"]);
        W.Drive.Change("outside", f => f.Name = "still-outside.txt");
        var page = Assert.Single(await PagesAsync(W.Connector.ChangesSinceAsync(context, cursor, default)));

        Assert.Equal(["arriving"], page.Records.Select(r => r.ExternalId));
        Assert.Equal("sub", (string?)page.Records[0].Fields["parentFolderId"]);
        Assert.Contains("leaving", page.Deleted);
        Assert.Contains("outside", page.Deleted); // never the Sync's: the engine ignores ids it does not have
    }

    [Fact]
    public async Task Shared_drive_changes_are_asked_for_only_with_include_shared_drives()
    {
        var (credential, _) = await W.AddCredentialAsync();
        var plain = await W.ContextAsync(credential);
        var shared = await W.ContextAsync(credential, new { includeSharedDrives = true });
        var start = Assert.Single(await PagesAsync(W.Connector.ChangesSinceAsync(plain, null, default))).Cursor;
        W.Drive.Put("team", "team.txt", parent: "drive1", content: "t", sharedDriveId: "drive1");

        Assert.Empty(Assert.Single(await PagesAsync(W.Connector.ChangesSinceAsync(plain, start, default))).Records);
        Assert.Equal("team", Assert.Single(Assert.Single(await PagesAsync(W.Connector.ChangesSinceAsync(shared, start, default))).Records).ExternalId);
    }
}
