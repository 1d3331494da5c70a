namespace GrpcSync.Connectors.Filesystem.Tests;

public sealed class FilesystemPathsTests : IDisposable
{
    private readonly TempTree _tree = new();

    public void Dispose() => _tree.Dispose();

    [Fact]
    public void Resolving_follows_relative_links_and_applies_dot_dot_after_them()
    {
        var deep = _tree.Mkdir("x/y");
        Directory.CreateSymbolicLink(_tree.Full("link"), "x/y"); // relative target

        var (path, exists) = FilesystemPaths.Resolve(_tree.Full("link") + "/..");

        Assert.True(exists);
        Assert.Equal(Path.GetDirectoryName(FilesystemPaths.Resolve(deep).Path), path);
    }

    [Fact]
    public void Resolving_a_missing_path_reports_where_it_would_be()
    {
        var (path, exists) = FilesystemPaths.Resolve(_tree.Full("nope/deeper"));

        Assert.False(exists);
        Assert.EndsWith(Path.Combine("alice", "nope", "deeper"), path);
    }

    [Theory]
    [InlineData("/a/b", "/a", true)]
    [InlineData("/a", "/a", true)]
    [InlineData("/a/", "/a", true)]
    [InlineData("/ab", "/a", false)]
    [InlineData("/a", "/a/b", false)]
    [InlineData("/anything", "/", true)]
    public void Containment_compares_whole_path_segments(string path, string root, bool expected)
    {
        if (OperatingSystem.IsWindows())
            return;
        Assert.Equal(expected, FilesystemPaths.IsUnder(path, root));
    }

    [Fact]
    public void On_linux_an_open_handle_reports_the_real_file_it_points_to()
    {
        if (!OperatingSystem.IsLinux())
            return;
        Directory.CreateSymbolicLink(_tree.Full("to-outside"), _tree.Outside);

        using var stream = File.OpenRead(Path.Combine(_tree.Full("to-outside"), "secret.txt"));

        Assert.Equal(FilesystemPaths.Resolve(_tree.OutsideSecret).Path, FilesystemPaths.OpenedPath(stream.SafeFileHandle));
        Assert.False(FilesystemPaths.IsUnder(FilesystemPaths.OpenedPath(stream.SafeFileHandle)!, FilesystemPaths.Resolve(_tree.AccountRoot).Path));
    }
}
