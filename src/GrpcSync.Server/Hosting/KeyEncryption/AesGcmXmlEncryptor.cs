using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace GrpcSync.Server.Hosting.KeyEncryption;

/// <summary>
/// Encrypts a Data Protection key's secret element with the <see cref="KeyEncryptionKey"/> (AES-256-GCM, a random
/// 96-bit nonce per key) before the key ring writes it to disk. The element written in its place:
/// <c>&lt;encryptedKey version="1" kek="…"&gt;&lt;nonce/&gt;&lt;tag/&gt;&lt;value/&gt;&lt;/encryptedKey&gt;</c> (base64).
/// </summary>
public sealed class AesGcmXmlEncryptor(KeyEncryptionKey kek) : IXmlEncryptor
{
    public const string ElementName = "encryptedKey";
    public const int NonceBytes = 12;
    public const int TagBytes = 16;

    /// <summary>Bound into every tag: the ciphertext is only ever valid as a GrpcSync key-ring secret.</summary>
    public static ReadOnlySpan<byte> AssociatedData => "GrpcSync Data Protection key, AES-256-GCM, v1"u8;

    public EncryptedXmlInfo Encrypt(XElement plaintextElement)
    {
        var plaintext = Encoding.UTF8.GetBytes(plaintextElement.ToString(SaveOptions.DisableFormatting));
        var nonce = RandomNumberGenerator.GetBytes(NonceBytes);
        var ciphertext = new byte[plaintext.Length];
        var tag = new byte[TagBytes];
        try
        {
            using var aes = new AesGcm(kek.Key, TagBytes);
            aes.Encrypt(nonce, plaintext, ciphertext, tag, AssociatedData);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
        var element = new XElement(ElementName,
            new XAttribute("version", "1"),
            new XAttribute("kek", kek.Id),
            new XElement("nonce", Convert.ToBase64String(nonce)),
            new XElement("tag", Convert.ToBase64String(tag)),
            new XElement("value", Convert.ToBase64String(ciphertext)));
        return new EncryptedXmlInfo(element, typeof(AesGcmXmlDecryptor));
    }
}
