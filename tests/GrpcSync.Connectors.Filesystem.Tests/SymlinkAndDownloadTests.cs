
namespace GrpcSync.Connectors.Filesystem.Tests;

public sealed class SymlinkAndDownloadTests : IDisposable
{
    private readonly TempTree _tree = new();

    public SymlinkAndDownloadTests()
    {
        _tree.WriteSampleTree();
        File.CreateSymbolicLink(_tree.Full("docs/leak.txt"), _tree.OutsideSecret);
        Directory.CreateSymbolicLink(_tree.Full("docs/outside-dir"), _tree.Outside);
        File.CreateSymbolicLink(_tree.Full("docs/inner-link.txt"), _tree.Full("docs/a.txt"));
    }

    public void Dispose() => _tree.Dispose();

    private async Task<PermanentSourceException> DownloadFailureAsync(string externalId, string? folder = null) =>
        await Assert.ThrowsAsync<PermanentSourceException>(() => _tree.Connector().DownloadAsync(_tree.Context(folder), externalId, range: null, default));

    [Fact]
    public async Task Symlinks_produce_no_records_whether_they_point_inside_or_outside()
    {
        var records = await _tree.Connector().EnumerateAsync(_tree.Context(), default).RecordsAsync();

        Assert.Equal([".hidden", "docs", "docs/a.txt", "docs/deep", "docs/deep/b.json", "notes.md"], records.Ids());
    }

    [Fact]
    public async Task Symlinks_are_not_reported_as_changes_either()
    {
        var records = await _tree.Connector().ChangesSinceAsync(_tree.Context(), cursor: null, default).RecordsAsync();

        Assert.DoesNotContain(records, r => r.ExternalId.Contains("leak") || r.ExternalId.Contains("outside") || r.ExternalId.Contains("inner-link"));
    }

    [Fact]
    public async Task Downloading_a_file_returns_its_bytes_and_content_type()
    {
        var content = await _tree.Connector().DownloadAsync(_tree.Context(), "docs/a.txt", range: null, default);

        await using var stream = content.Content;
        using var reader = new StreamReader(stream);
        Assert.Equal("text/plain", content.ContentType);
        Assert.False(stream.CanWrite);
        Assert.Equal("hello", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Downloading_an_empty_file_returns_no_bytes()
    {
        _tree.Write("empty.json", "");

        var content = await _tree.Connector().DownloadAsync(_tree.Context(), "empty.json", range: null, default);

        await using var stream = content.Content;
        Assert.Equal("application/json", content.ContentType);
        Assert.Equal(-1, stream.ReadByte());
    }

    [Fact]
    public async Task A_file_can_be_downloaded_while_another_process_writes_it()
    {
        var path = _tree.Full("docs/a.txt");
        // A real other process: a shell that opens the file for appending, writes to it, says "ready"
        // and keeps the file open until its stdin closes.
        var start = new System.Diagnostics.ProcessStartInfo("sh")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        foreach (var argument in (string[])["-c", "exec 3>>\"$1\"; printf ', appended' >&3; echo ready; read _; printf ' and after' >&3", "sh", path])
        {
            start.ArgumentList.Add(argument);
        }
        using var writer = System.Diagnostics.Process.Start(start)!;
        try
        {
            Assert.Equal("ready", await writer.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)));
            // The writer really holds the file open for writing while we read it.
            Assert.Contains(Directory.GetFiles($"/proc/{writer.Id}/fd"), fd => new FileInfo(fd).LinkTarget == path);

            var content = await _tree.Connector().DownloadAsync(_tree.Context(), "docs/a.txt", range: null, default);
            await using (var stream = content.Content)
            {
                using var reader = new StreamReader(stream);
                Assert.Equal("hello, appended", await reader.ReadToEndAsync());
            }
            Assert.False(writer.HasExited);

            // The download left the file writable for the other process.
            writer.StandardInput.Close();
            await writer.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
            Assert.Equal(0, writer.ExitCode);
            Assert.Equal("hello, appended and after", await File.ReadAllTextAsync(path));
        }
        finally
        {
            if (!writer.HasExited)
            {
                writer.Kill();
            }
        }
    }

    [Fact]
    public async Task Downloading_a_symlink_that_points_outside_the_root_is_refused()
    {
        var error = await DownloadFailureAsync("docs/leak.txt");

        Assert.Equal("FORBIDDEN", error.Code);
        Assert.DoesNotContain(TempTree.SecretContent, error.Message);
    }

    [Fact]
    public async Task Downloading_through_a_symlinked_folder_is_refused()
    {
        var error = await DownloadFailureAsync("docs/outside-dir/secret.txt");

        Assert.Equal("FORBIDDEN", error.Code);
    }

    [Fact]
    public async Task Downloading_a_symlink_that_points_inside_the_root_is_refused_too()
    {
        var error = await DownloadFailureAsync("docs/inner-link.txt");

        Assert.Equal("FORBIDDEN", error.Code);
    }

    [Theory]
    [InlineData("../secret")]
    [InlineData("../../outside/secret.txt")]
    [InlineData("docs/../../../outside/secret.txt")]
    [InlineData("/etc/passwd")]
    [InlineData("docs\\a.txt")]
    [InlineData("./docs/a.txt")]
    [InlineData("docs//a.txt")]
    [InlineData("")]
    public async Task Downloading_an_id_that_is_not_a_plain_relative_path_is_refused(string externalId)
    {
        var error = await DownloadFailureAsync(externalId);

        Assert.Equal("FORBIDDEN", error.Code);
    }

    [Fact]
    public async Task Downloading_a_missing_file_reports_NOT_FOUND()
    {
        var error = await DownloadFailureAsync("docs/missing.txt");

        Assert.Equal("NOT_FOUND", error.Code);
    }

    [Fact]
    public async Task Downloading_a_folder_reports_NOT_FOUND()
    {
        var error = await DownloadFailureAsync("docs/deep");

        Assert.Equal("NOT_FOUND", error.Code);
    }

    [Fact]
    public async Task Downloading_a_file_outside_the_configured_folder_is_refused()
    {
        var error = await DownloadFailureAsync("notes.md", folder: "docs");

        Assert.Equal("FORBIDDEN", error.Code);
    }

    [Fact]
    public async Task Downloading_inside_the_configured_folder_works()
    {
        var content = await _tree.Connector().DownloadAsync(_tree.Context(folder: "docs"), "docs/deep/b.json", range: null, default);

        await using var stream = content.Content;
        using var reader = new StreamReader(stream);
        Assert.Equal("{}", await reader.ReadToEndAsync());
    }

    [Fact]
    public async Task Downloading_with_a_credential_outside_the_allowed_roots_is_rejected()
    {
        var error = await Assert.ThrowsAsync<PermanentSourceException>(
            () => _tree.Connector().DownloadAsync(_tree.Context(secret: _tree.Outside), "secret.txt", range: null, default));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task Downloading_honours_cancellation()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => _tree.Connector().DownloadAsync(_tree.Context(), "docs/a.txt", range: null, cts.Token));
    }
}
