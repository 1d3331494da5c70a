using System.Security.Cryptography;
using System.Text;

namespace GrpcSync.Api.Tests.Infrastructure;

/// <summary>
/// One filesystem "account": a directory whose absolute path is a filesystem credential's secret.
/// Files are named by their record id (a '/'-separated path relative to the account root).
/// </summary>
public sealed class AccountDirectory(string root)
{
    public string Root { get; } = root;

    /// <summary>Writes (creating folders as needed) and returns the bytes written.</summary>
    public byte[] Write(string relativePath, string text) => Write(relativePath, Encoding.UTF8.GetBytes(text));

    public byte[] Write(string relativePath, byte[] bytes)
    {
        var path = PathOf(relativePath);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllBytes(path, bytes);
        return bytes;
    }

    public void CreateFolder(string relativePath) => Directory.CreateDirectory(PathOf(relativePath));

    public void Delete(string relativePath) => File.Delete(PathOf(relativePath));

    public string PathOf(string relativePath) => Path.Combine(Root, relativePath.Replace('/', Path.DirectorySeparatorChar));

    public static string Sha256(byte[] bytes) => Convert.ToHexStringLower(SHA256.HashData(bytes));
}
