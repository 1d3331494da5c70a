using System.Security.Cryptography;
using System.Text;
using System.Xml.Linq;
using Microsoft.AspNetCore.DataProtection.XmlEncryption;

namespace GrpcSync.Server.Hosting.KeyEncryption;

/// <summary>
/// Opens what <see cref="AesGcmXmlEncryptor"/> wrote. Data Protection creates it by the type name stored in the key
/// file, through the constructor taking the service provider, where the configured <see cref="KeyEncryptionKey"/> is.
/// </summary>
public sealed class AesGcmXmlDecryptor(IServiceProvider services) : IXmlDecryptor
{
    public XElement Decrypt(XElement encryptedElement)
    {
        var kek = services.GetService<KeyEncryptionKey>() ?? throw new CryptographicException(
            "This Data Protection key was encrypted with a key-encryption key file, and none is configured: "
            + "set GrpcSync:DataProtection:KeyEncryptionKeyFile to that file.");
        var keyId = (string?)encryptedElement.Attribute("kek");
        if (keyId != kek.Id)
        {
            throw new CryptographicException(
                $"This Data Protection key was encrypted with key-encryption key {keyId}; the configured file '{kek.Path}' is {kek.Id}.");
        }
        var nonce = Bytes(encryptedElement, "nonce");
        var tag = Bytes(encryptedElement, "tag");
        var ciphertext = Bytes(encryptedElement, "value");
        var plaintext = new byte[ciphertext.Length];
        try
        {
            using var aes = new AesGcm(kek.Key, AesGcmXmlEncryptor.TagBytes);
            aes.Decrypt(nonce, ciphertext, tag, plaintext, AesGcmXmlEncryptor.AssociatedData);
            return XElement.Parse(Encoding.UTF8.GetString(plaintext));
        }
        finally
        {
            CryptographicOperations.ZeroMemory(plaintext);
        }
    }

    private static byte[] Bytes(XElement element, string name) =>
        element.Element(name) is { } child
            ? Convert.FromBase64String(child.Value)
            : throw new CryptographicException($"The encrypted Data Protection key has no <{name}>.");
}
