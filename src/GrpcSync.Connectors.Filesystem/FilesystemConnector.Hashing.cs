using System.Security.Cryptography;

namespace GrpcSync.Connectors.Filesystem;

// Hashing: the sha256 field, read from a file that must not change under the reader.
public sealed partial class FilesystemConnector
{
    private const string EmptySha256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
    private const int HashBufferSize = 128 * 1024;
    private const int HashAttempts = 3;

    /// <summary>
    /// SHA-256 of a file, with its metadata refreshed to match what was read. Returns include=false when
    /// the file vanished, cannot be read or turned out to be outside the root (a swapped link).
    /// Empty files are never opened (FIFOs and devices report size 0, and opening one could block).
    /// Files above <see cref="MaxHashedFileSize"/>, or still changing after a few attempts, get no hash.
    /// </summary>
    private static async Task<(bool Include, string? Sha256)> HashAsync(FileInfo file, Scope scope, CancellationToken ct)
    {
        for (var attempt = 0; attempt < HashAttempts; attempt++)
        {
            var length = file.Length;
            var lastWrite = file.LastWriteTimeUtc;
            if (length > MaxHashedFileSize)
                return (true, null);
            if (length == 0)
                return (true, EmptySha256);

            string sha256;
            try
            {
                await using var stream = OpenVerified(file.FullName, scope.AccountRoot, FileOptions.Asynchronous | FileOptions.SequentialScan);
                if (stream is null)
                    return (false, null);
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[HashBufferSize];
                int read;
                while ((read = await stream.ReadAsync(buffer, ct).ConfigureAwait(false)) > 0)
                    hash.AppendData(buffer, 0, read);
                sha256 = Convert.ToHexStringLower(hash.GetHashAndReset());
            }
            catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException or UnauthorizedAccessException)
            {
                return (false, null);
            }
            catch (IOException e)
            {
                throw new TransientSourceException("Reading a file failed: " + e.Message, e);
            }

            file.Refresh();
            if (!file.Exists)
                return (false, null);
            if (file.Length == length && file.LastWriteTimeUtc == lastWrite)
                return (true, sha256);
        }
        return (true, null);
    }
}
