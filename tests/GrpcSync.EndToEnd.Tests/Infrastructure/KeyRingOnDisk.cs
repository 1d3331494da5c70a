using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;

namespace GrpcSync.EndToEnd.Tests.Infrastructure;

/// <summary>
/// The server's Data Protection key ring as files, read the way an attacker with the disk (but without the
/// key-encryption key) would, and opened with the key-encryption key by code of its own (AES-256-GCM as the README's
/// "Key encryption at rest" describes it), so the tests check the format, not only the server's round trip.
/// </summary>
public static class KeyRingOnDisk
{
    private static readonly XNamespace DataProtection = "http://schemas.asp.net/2015/03/dataProtection";
    private static readonly byte[] AssociatedData = Encoding.UTF8.GetBytes("GrpcSync Data Protection key, AES-256-GCM, v1");

    public static string[] KeyFiles(string keysDirectory) =>
        Directory.Exists(keysDirectory) ? Directory.GetFiles(keysDirectory, "*.xml").Order(StringComparer.Ordinal).ToArray() : [];

    /// <summary>Fails if any key file holds a master key in the clear; returns the keys' encrypted secrets.</summary>
    public static XElement[] AssertEncrypted(string keysDirectory)
    {
        var files = KeyFiles(keysDirectory);
        Assert.NotEmpty(files);
        var secrets = new List<XElement>();
        foreach (var file in files)
        {
            var key = XDocument.Load(file);
            Assert.True(!key.Descendants().Any(e => e.Name.LocalName == "masterKey"), $"{file} holds a plaintext master key:\n{key}");
            var encrypted = key.Descendants(DataProtection + "encryptedSecret").ToArray();
            Assert.True(encrypted.Length == 1, $"{file} has no encrypted secret:\n{key}");
            secrets.Add(encrypted[0]);
        }
        return [.. secrets];
    }

    /// <summary>
    /// Copies the key ring to <paramref name="target"/> with every secret decrypted by <paramref name="keyEncryptionKeyFile"/>,
    /// i.e. as a plain Data Protection key ring any process can load; returns <paramref name="target"/>.
    /// </summary>
    public static string DecryptTo(string keysDirectory, string keyEncryptionKeyFile, string target)
    {
        var kek = File.ReadAllBytes(keyEncryptionKeyFile);
        Directory.CreateDirectory(target);
        foreach (var file in KeyFiles(keysDirectory))
        {
            var key = XDocument.Load(file);
            foreach (var secret in key.Descendants(DataProtection + "encryptedSecret").ToArray())
            {
                var encrypted = secret.Element("encryptedKey") ?? throw new Xunit.Sdk.XunitException($"{file}: no <encryptedKey>:\n{secret}");
                var ciphertext = Convert.FromBase64String(encrypted.Element("value")!.Value);
                var plaintext = new byte[ciphertext.Length];
                using var aes = new AesGcm(kek, 16);
                aes.Decrypt(Convert.FromBase64String(encrypted.Element("nonce")!.Value), ciphertext,
                    Convert.FromBase64String(encrypted.Element("tag")!.Value), plaintext, AssociatedData);
                secret.ReplaceWith(XElement.Parse(Encoding.UTF8.GetString(plaintext)));
            }
            key.Save(Path.Combine(target, Path.GetFileName(file)));
        }
        return target;
    }
}
