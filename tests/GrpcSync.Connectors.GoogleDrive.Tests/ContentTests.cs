namespace GrpcSync.Connectors.GoogleDrive.Tests;

/// <summary>Content: alt=media streamed (with ranges), Workspace documents exported (PDF default, ?format=), clear refusals.</summary>
public sealed class ContentTests() : DriveTest(TestStore.Sqlite)
{
    private static async Task<string> ReadAsync(SourceContent content)
    {
        await using var stream = content.Content;
        using var reader = new StreamReader(stream);
        return await reader.ReadToEndAsync();
    }

    [Fact]
    public async Task A_file_is_streamed_from_alt_media_with_its_type_and_length()
    {
        W.Drive.Put("bin", "report.csv", "text/csv", content: "a,b\n1,2\n");
        var (credential, _) = await W.AddCredentialAsync();

        var content = await W.Connector.DownloadAsync(await W.ContextAsync(credential), "bin", null, default);

        Assert.StartsWith("text/csv", content.ContentType, StringComparison.Ordinal);
        Assert.Equal(8, content.Length);
        Assert.Null(content.Range);
        Assert.Equal("a,b\n1,2\n", await ReadAsync(content));
        Assert.Contains(W.Drive.Requests, r => r.StartsWith("/drive/v3/files/bin?alt=media", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_range_is_served_by_drive_and_an_unsatisfiable_one_says_the_length()
    {
        W.Drive.Put("bin", "digits.txt", content: "0123456789");
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);

        var part = await W.Connector.DownloadAsync(context, "bin", ByteRange.Between(2, 4), default);
        Assert.Equal(new ServedRange(2, 4, 10), part.Range);
        Assert.Equal("234", await ReadAsync(part));

        var error = await Assert.ThrowsAsync<RangeNotSatisfiableException>(() => W.Connector.DownloadAsync(context, "bin", ByteRange.StartingAt(50), default));
        Assert.Equal(10, error.CompleteLength);
    }

    [Fact]
    public async Task A_google_doc_is_exported_as_pdf_by_default_and_as_the_format_asked()
    {
        W.Drive.Put("doc", "Plan", "application/vnd.google-apps.document");
        W.Drive.Put("sheet", "Budget", "application/vnd.google-apps.spreadsheet");
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);

        var pdf = await W.Connector.DownloadAsync(context, "doc", null, default);
        Assert.Equal("application/pdf", pdf.ContentType);
        Assert.Equal("EXPORT application/pdf OF Plan", await ReadAsync(pdf));

        var docx = await W.Connector.DownloadAsync(context, "doc", null, "docx", default);
        Assert.Equal("application/vnd.openxmlformats-officedocument.wordprocessingml.document", docx.ContentType);
        Assert.Equal("EXPORT application/vnd.openxmlformats-officedocument.wordprocessingml.document OF Plan", await ReadAsync(docx));

        var csv = await W.Connector.DownloadAsync(context, "sheet", null, "csv", default);
        Assert.Equal("EXPORT text/csv OF Budget", await ReadAsync(csv));
        Assert.Contains(W.Drive.Requests, r => r.StartsWith("/drive/v3/files/sheet/export?mimeType=text%2Fcsv", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Formats_a_type_cannot_take_and_types_without_export_are_refused_with_clear_codes()
    {
        W.Drive.Put("doc", "Plan", "application/vnd.google-apps.document");
        W.Drive.Put("form", "Survey", "application/vnd.google-apps.form");
        W.Drive.Put("bin", "a.txt", content: "a");
        W.Drive.Folder("folder", "Folder");
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);

        var wrongFormat = await Assert.ThrowsAsync<PermanentSourceException>(() => W.Connector.DownloadAsync(context, "doc", null, "xlsx", default));
        Assert.Equal("FORMAT_UNSUPPORTED", wrongFormat.Code);
        Assert.Contains("docx", wrongFormat.Message, StringComparison.Ordinal); // lists what it can be

        var form = await Assert.ThrowsAsync<PermanentSourceException>(() => W.Connector.DownloadAsync(context, "form", null, default));
        Assert.Equal("NOT_EXPORTABLE", form.Code);
        var folder = await Assert.ThrowsAsync<PermanentSourceException>(() => W.Connector.DownloadAsync(context, "folder", null, "pdf", default));
        Assert.Equal("NOT_EXPORTABLE", folder.Code);

        var formatOnBinary = await Assert.ThrowsAsync<PermanentSourceException>(() => W.Connector.DownloadAsync(context, "bin", null, "pdf", default));
        Assert.Equal("FORMAT_UNSUPPORTED", formatOnBinary.Code);
    }

    [Fact]
    public async Task A_file_gone_or_in_the_trash_is_not_found()
    {
        W.Drive.Put("binned", "a.txt", content: "a");
        W.Drive.Change("binned", f => f.Trashed = true);
        var (credential, _) = await W.AddCredentialAsync();
        var context = await W.ContextAsync(credential);

        Assert.Equal("NOT_FOUND", (await Assert.ThrowsAsync<PermanentSourceException>(() => W.Connector.DownloadAsync(context, "binned", null, default))).Code);
        Assert.Equal("NOT_FOUND", (await Assert.ThrowsAsync<PermanentSourceException>(() => W.Connector.DownloadAsync(context, "missing", null, default))).Code);
    }
}
