namespace GrpcSync.Cli.Tests.Infrastructure;

/// <summary>
/// Makes a filesystem run take seconds without disk space: sparse files of 128 MiB, which the connector reads
/// and hashes whole (SHA-256 of zeros). Six of them keep a run busy for a few seconds on a small machine (~3 s on
/// 2 cores).
/// </summary>
public static class SlowAccount
{
    public const int BigFiles = 6;
    private const long BigFileSize = 128L * 1024 * 1024;

    /// <summary>Adds the big files below the account's <c>root</c> folder (the folder the tests' Syncs read).</summary>
    public static void AddBigFiles(string account, string prefix, int count = BigFiles)
    {
        for (var i = 0; i < count; i++)
        {
            using var file = File.Create(Path.Combine(account, "root", $"{prefix}-{i:D2}.bin"));
            file.SetLength(BigFileSize);
        }
    }
}
