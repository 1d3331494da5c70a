using System.Text.Json;

namespace GrpcSync.Connectors.Filesystem.Tests;

/// <summary>
/// A real directory layout under the system temp folder, deleted on dispose:
/// <c>base/allowed</c> (the operator's allowed root), <c>base/allowed/alice</c> (the account root)
/// and <c>base/outside</c> (holding <c>secret.txt</c>, which no credential may read).
/// </summary>
public sealed class TempTree : IDisposable
{
    /// <summary>The last-write time every entry gets from <see cref="SetAllTimes"/>.</summary>
    public static readonly DateTime OldTime = new(2020, 1, 1, 0, 0, 0, DateTimeKind.Utc);

    public const string SecretContent = "top secret";

    public TempTree()
    {
        Base = Path.Combine(Path.GetTempPath(), "grpcsync-fs-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(AccountRoot);
        Directory.CreateDirectory(Outside);
        File.WriteAllText(Path.Combine(Outside, "secret.txt"), SecretContent);
    }

    public string Base { get; }
    public string Allowed => Path.Combine(Base, "allowed");
    public string AccountRoot => Path.Combine(Allowed, "alice");
    public string Outside => Path.Combine(Base, "outside");
    public string OutsideSecret => Path.Combine(Outside, "secret.txt");

    /// <summary>Writes a file below the account root (creating folders), returning its full path.</summary>
    public string Write(string relative, string content)
    {
        var path = Full(relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
        return path;
    }

    public string Mkdir(string relative) => Directory.CreateDirectory(Full(relative)).FullName;

    public string Full(string relative) => Path.Combine(AccountRoot, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>The small tree most tests use.</summary>
    public void WriteSampleTree()
    {
        Write("notes.md", "# notes");
        Write(".hidden", "dot");
        Write("docs/a.txt", "hello");
        Write("docs/deep/b.json", "{}");
        SetAllTimes(OldTime);
    }

    /// <summary>Sets the last-write time of the account root and everything in it (symbolic links excluded), children first.</summary>
    public void SetAllTimes(DateTime utc)
    {
        foreach (var file in new DirectoryInfo(AccountRoot).EnumerateFileSystemInfos("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 }))
        {
            if (file is FileInfo && file.LinkTarget is null)
                File.SetLastWriteTimeUtc(file.FullName, utc);
        }
        var directories = new DirectoryInfo(AccountRoot)
            .EnumerateDirectories("*", new EnumerationOptions { RecurseSubdirectories = true, AttributesToSkip = 0 })
            .Where(d => d.LinkTarget is null)
            .OrderByDescending(d => d.FullName.Length);
        foreach (var directory in directories)
            Directory.SetLastWriteTimeUtc(directory.FullName, utc);
        Directory.SetLastWriteTimeUtc(AccountRoot, utc);
    }

    public FilesystemConnector Connector(params string[] allowedRoots) =>
        new(new FilesystemConnectorOptions { AllowedRoots = allowedRoots.Length == 0 ? [Allowed] : [.. allowedRoots] });

    public SourceContext Context(string? folder = null, string? secret = null) =>
        new("files", Configuration(folder), secret ?? AccountRoot);

    public static JsonElement Configuration(string? folder) =>
        folder is null ? Json("{}") : JsonSerializer.SerializeToElement(new Dictionary<string, string> { ["folder"] = folder });

    public static JsonElement Json(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Base, recursive: true); // deletes links, never their targets
        }
        catch (DirectoryNotFoundException)
        {
        }
    }
}

public static class SourceExtensions
{
    public static async Task<List<SourcePage>> PagesAsync(this IAsyncEnumerable<SourcePage> pages)
    {
        var list = new List<SourcePage>();
        await foreach (var page in pages)
            list.Add(page);
        return list;
    }

    public static async Task<List<SourceRecord>> RecordsAsync(this IAsyncEnumerable<SourcePage> pages) =>
        [.. (await pages.PagesAsync()).SelectMany(p => p.Records)];

    public static async Task<(List<SourceRecord> Records, string Cursor)> RecordsAndCursorAsync(this IAsyncEnumerable<SourcePage> pages)
    {
        var list = await pages.PagesAsync();
        return ([.. list.SelectMany(p => p.Records)], list[^1].Cursor!);
    }

    public static string[] Ids(this IEnumerable<SourceRecord> records) =>
        [.. records.Select(r => r.ExternalId).Order(StringComparer.Ordinal)];

    public static SourceRecord Get(this IEnumerable<SourceRecord> records, string externalId) =>
        records.Single(r => r.ExternalId == externalId);

    public static string Text(this SourceRecord record, string field) => record.Fields[field]!.GetValue<string>();

    public static long UnixMs(DateTime utc) => new DateTimeOffset(utc).ToUnixTimeMilliseconds();
}
