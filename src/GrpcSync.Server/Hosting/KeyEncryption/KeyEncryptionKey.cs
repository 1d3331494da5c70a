using System.Runtime.Versioning;
using System.Security.Cryptography;
using System.Text;

namespace GrpcSync.Server.Hosting.KeyEncryption;

/// <summary>
/// The key-encryption key (KEK): 32 random bytes in a file only its owner may read, which encrypt the Data
/// Protection keys at rest (<see cref="AesGcmXmlEncryptor"/>). Unix only: there the file mode is the whole guard.
/// </summary>
public sealed class KeyEncryptionKey
{
    public const int Length = 32;

    private const UnixFileMode GroupOrOthers =
        UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute
        | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    private KeyEncryptionKey(string path, byte[] key)
    {
        Path = path;
        Key = key;
        // Names the KEK in each encrypted key (so a wrong file is named as such), without revealing anything of it.
        byte[] named = [.. Encoding.ASCII.GetBytes("GrpcSync key-encryption key id\n"), .. key];
        Id = Convert.ToHexStringLower(SHA256.HashData(named).AsSpan(0, 8));
        CryptographicOperations.ZeroMemory(named);
    }

    public string Path { get; }

    /// <summary>The AES-256 key.</summary>
    public byte[] Key { get; }

    /// <summary>16 hex digits derived from the key (a hash: it tells files apart, it does not reveal the key).</summary>
    public string Id { get; }

    /// <summary>Reads the file, creating it (mode 0600) first if it does not exist.</summary>
    [UnsupportedOSPlatform("windows")]
    public static KeyEncryptionKey OpenOrCreate(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            Create(path);
        }
        return Open(path);
    }

    /// <summary>Reads an existing file; refuses one that group or others may use, or that is not 32 bytes.</summary>
    [UnsupportedOSPlatform("windows")]
    public static KeyEncryptionKey Open(string path)
    {
        path = System.IO.Path.GetFullPath(path);
        if (!File.Exists(path))
        {
            throw new StartupProblem($"The key-encryption key file '{path}' (GrpcSync:DataProtection:KeyEncryptionKeyFile) does not exist.");
        }
        var mode = File.GetUnixFileMode(path);
        if ((mode & GroupOrOthers) != 0)
        {
            throw new StartupProblem(
                $"The key-encryption key file '{path}' may be read by group or others (mode {Convert.ToString((int)mode, 8).PadLeft(4, '0')}); "
                + $"refusing to use it. Restrict it to the server's account: chmod 600 '{path}'.");
        }
        var key = File.ReadAllBytes(path);
        if (key.Length != Length)
        {
            throw new StartupProblem(
                $"The key-encryption key file '{path}' holds {key.Length} bytes, not {Length}: it is not a GrpcSync key-encryption key.");
        }
        return new KeyEncryptionKey(path, key);
    }

    [UnsupportedOSPlatform("windows")]
    private static void Create(string path)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        // Written whole under another name, then moved into place without overwriting: a replica starting at the
        // same moment either wins or reads the winner's file, never half of one.
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        try
        {
            using (var file = new FileStream(temporary, new FileStreamOptions
            {
                Mode = FileMode.CreateNew,
                Access = FileAccess.Write,
                UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
            }))
            {
                file.Write(RandomNumberGenerator.GetBytes(Length));
                file.Flush(flushToDisk: true);
            }
            File.Move(temporary, path, overwrite: false);
        }
        catch (IOException) when (File.Exists(path))
        {
            // another process created it first: use theirs
        }
        finally
        {
            File.Delete(temporary);
        }
    }
}
