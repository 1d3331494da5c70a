namespace GrpcSync.Connectors.GoogleDrive.Tests;

/// <summary>INITIAL/FULL listing: files.list paging, fields, trash, the folder subtree, shared drives, the start page token.</summary>
public sealed class ListingTests() : DriveTest(TestStore.Sqlite)
{
    [Fact]
    public async Task The_whole_drive_is_listed_page_by_page_without_trashed_files_and_the_start_page_token_comes_first()
    {
        W.Drive.MaxPageSize = 2;
        for (var i = 1; i <= 5; i++)
        {
            W.Drive.Put($"file{i}", $"f{i}.txt", content: new string('x', i));
        }
        W.Drive.Put("trashed1", "old.txt", content: "old");
        W.Drive.Change("trashed1", f => f.Trashed = true);
        var (credential, _) = await W.AddCredentialAsync();

        var pages = await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default));

        Assert.Equal(3, pages.Count);
        Assert.Equal(["file1", "file2", "file3", "file4", "file5"], pages.SelectMany(p => p.Records).Select(r => r.ExternalId));
        var token = Assert.Single(pages.Select(p => p.Cursor).Distinct());
        Assert.False(string.IsNullOrEmpty(token));
        var requests = W.Drive.Requests.ToList();
        Assert.StartsWith("/drive/v3/changes/startPageToken", requests[0], StringComparison.Ordinal);
        Assert.All(requests.Skip(1), r => Assert.StartsWith("/drive/v3/files?", r, StringComparison.Ordinal));
        Assert.All(requests.Skip(1), r => Assert.Contains("pageSize=1000", r, StringComparison.Ordinal));
        Assert.All(requests.Skip(1), r => Assert.Contains("q=trashed%20%3D%20false", r, StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_record_follows_the_files_schema()
    {
        W.Drive.Folder("folderA", "Reports");
        W.Drive.Put("fileA", "q1.csv", "text/csv", parent: "folderA", content: "a,b\n1,2\n");
        W.Drive.Put("docA", "Plan", "application/vnd.google-apps.document", parent: "folderA");
        var (credential, _) = await W.AddCredentialAsync();

        var records = (await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default)))
            .SelectMany(p => p.Records).ToDictionary(r => r.ExternalId);

        var file = records["fileA"].Fields;
        Assert.Equal("q1.csv", (string?)file["name"]);
        Assert.Equal("text/csv", (string?)file["mimeType"]);
        Assert.Equal(8, (long?)file["size"]);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.MD5.HashData("a,b\n1,2\n"u8.ToArray())), (string?)file["hash"]?["md5"]);
        Assert.Equal("https://drive.google.com/file/d/fileA/view?usp=drivesdk", (string?)file["url"]);
        Assert.NotNull((string?)file["thumbnailUrl"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", (string?)file["createdAt"]);
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$", (string?)file["updatedAt"]);
        Assert.Equal("folderA", (string?)file["parentFolderId"]);
        Assert.Equal(GoogleDriveConnector.FolderMimeType, (string?)records["folderA"].Fields["mimeType"]);
        Assert.Null(records["docA"].Fields["hash"]); // Google Docs have no md5
        Assert.Equal(0, (long?)records["docA"].Fields["size"]);
    }

    [Fact]
    public async Task A_folder_configuration_lists_the_subtree_only_and_its_top_level_has_no_parent()
    {
        W.Drive.Folder("top", "Top");
        W.Drive.Folder("sub", "Sub", parent: "top");
        W.Drive.Folder("deeper", "Deeper", parent: "sub");
        W.Drive.Put("inTop", "a.txt", parent: "top", content: "a");
        W.Drive.Put("inDeeper", "b.txt", parent: "deeper", content: "b");
        W.Drive.Put("elsewhere", "c.txt", parent: "root", content: "c");
        W.Drive.Put("trashedInSub", "d.txt", parent: "sub", content: "d");
        W.Drive.Change("trashedInSub", f => f.Trashed = true);
        var (credential, _) = await W.AddCredentialAsync();

        var records = (await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential, new { folderId = "top" }), default)))
            .SelectMany(p => p.Records).ToList();

        Assert.Equal(["deeper", "inDeeper", "inTop", "sub"], records.Select(r => r.ExternalId).Order(StringComparer.Ordinal));
        Assert.Equal("", (string?)records.Single(r => r.ExternalId == "sub").Fields["parentFolderId"]);
        Assert.Equal("deeper", (string?)records.Single(r => r.ExternalId == "inDeeper").Fields["parentFolderId"]);
        Assert.Contains(W.Drive.Requests, r => r.Contains("q=%27deeper%27%20in%20parents%20and%20trashed%20%3D%20false", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_missing_folder_errors_the_sync_with_folder_not_found()
    {
        var (credential, _) = await W.AddCredentialAsync();

        var error = await Assert.ThrowsAsync<PermanentSourceException>(async () =>
            await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential, new { folderId = "nope" }), default)));

        Assert.Equal("FOLDER_NOT_FOUND", error.Code);
    }

    [Fact]
    public async Task Shared_drive_items_are_listed_only_with_include_shared_drives_and_the_flags_are_sent()
    {
        W.Drive.Put("mine", "mine.txt", content: "m");
        W.Drive.Put("team", "team.txt", parent: "drive1", content: "t", sharedDriveId: "drive1");
        var (credential, _) = await W.AddCredentialAsync();

        var without = (await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential), default))).SelectMany(p => p.Records);
        Assert.Equal(["mine"], without.Select(r => r.ExternalId));
        Assert.DoesNotContain(W.Drive.Requests, r => r.Contains("supportsAllDrives", StringComparison.Ordinal));

        var with = (await PagesAsync(W.Connector.EnumerateAsync(await W.ContextAsync(credential, new { includeSharedDrives = true }), default)))
            .SelectMany(p => p.Records);
        Assert.Equal(["mine", "team"], with.Select(r => r.ExternalId));
        var list = W.Drive.Requests.Last(r => r.StartsWith("/drive/v3/files?", StringComparison.Ordinal));
        Assert.Contains("supportsAllDrives=true", list, StringComparison.Ordinal);
        Assert.Contains("includeItemsFromAllDrives=true", list, StringComparison.Ordinal);
        Assert.Contains("corpora=allDrives", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_change_made_during_the_initial_listing_is_in_the_feed_from_its_cursor()
    {
        W.Drive.MaxPageSize = 1;
        W.Drive.Put("a", "a.txt", content: "1");
        W.Drive.Put("b", "b.txt", content: "2");
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);

        string? cursor = null;
        await foreach (var page in W.Connector.EnumerateAsync(context, default))
        {
            cursor = page.Cursor;
            if (page.Records.Any(r => r.ExternalId == "a"))
            {
                W.Drive.Change("a", f => f.Name = "renamed-while-listing.txt"); // after "a" was listed
            }
        }

        var changes = await PagesAsync(W.Connector.ChangesSinceAsync(context, cursor, default));
        Assert.Equal("renamed-while-listing.txt", (string?)changes.SelectMany(p => p.Records).Single(r => r.ExternalId == "a").Fields["name"]);
    }
}
