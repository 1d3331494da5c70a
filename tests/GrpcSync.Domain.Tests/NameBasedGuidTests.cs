using GrpcSync.Domain;

namespace GrpcSync.Domain.Tests;

public class NameBasedGuidTests
{
    private static readonly Guid DnsNamespace = new("6ba7b810-9dad-11d1-80b4-00c04fd430c8");
    private static readonly Guid UrlNamespace = new("6ba7b811-9dad-11d1-80b4-00c04fd430c8");

    [Fact]
    public void Create_MatchesTheRfc9562TestVector_ForWwwExampleComInTheDnsNamespace()
    {
        var id = NameBasedGuid.Create(DnsNamespace, "www.example.com");

        Assert.Equal(new Guid("2ed6657d-e927-568b-95e1-2665a8aea6a2"), id);
    }

    [Fact]
    public void Create_MatchesAnIndependentUuid5_ForAnotherDnsName()
    {
        // Python: uuid.uuid5(uuid.NAMESPACE_DNS, "python.org")
        Assert.Equal(new Guid("886313e1-3b8a-5372-9b90-0c9aee199e5d"), NameBasedGuid.Create(DnsNamespace, "python.org"));
    }

    [Fact]
    public void Create_EncodesTheNameAsUtf8()
    {
        // Python: uuid.uuid5(uuid.NAMESPACE_URL, "https://example.com/café")
        Assert.Equal(new Guid("60c2a4cb-5b0b-59bf-a9a3-ad819ea730d0"), NameBasedGuid.Create(UrlNamespace, "https://example.com/café"));
    }

    [Theory]
    [InlineData("")]
    [InlineData("a")]
    [InlineData("www.example.com")]
    [InlineData("proj-1\nuser-1\nsalesforce\ncontacts\ndefault")]
    [InlineData("ünïcödé ✓")]
    public void Create_SetsVersion5AndTheRfcVariant(string name)
    {
        var text = NameBasedGuid.Create(NameBasedGuid.SyncNamespace, name).ToString("D");

        // xxxxxxxx-xxxx-Vxxx-Nxxx-xxxxxxxxxxxx: V is the version, N's top two bits are 10.
        Assert.Equal('5', text[14]);
        Assert.Contains(text[19], "89ab");
    }

    [Fact]
    public void Create_IsDeterministic()
    {
        var first = NameBasedGuid.Create(NameBasedGuid.RecordNamespace, "sync-1/external-42");
        var second = NameBasedGuid.Create(NameBasedGuid.RecordNamespace, "sync-1/external-42");

        Assert.Equal(first, second);
    }

    [Fact]
    public void Create_DifferentNames_GiveDifferentIds()
    {
        Assert.NotEqual(
            NameBasedGuid.Create(NameBasedGuid.RecordNamespace, "external-1"),
            NameBasedGuid.Create(NameBasedGuid.RecordNamespace, "external-2"));
    }

    [Fact]
    public void Create_SameNameInDifferentNamespaces_GivesDifferentIds()
    {
        Assert.NotEqual(
            NameBasedGuid.Create(NameBasedGuid.SyncNamespace, "same"),
            NameBasedGuid.Create(NameBasedGuid.RecordNamespace, "same"));
    }

    [Fact]
    public void ForSync_IsTheUuid5OfTheNewlineJoinedKeyInTheSyncNamespace()
    {
        // Python: uuid.uuid5(UUID("6f1c1f2e-7a51-4d8e-9a8c-2b7f3c6d9e01"), "proj-1\nuser-1\nsalesforce\ncontacts\ndefault")
        var id = NameBasedGuid.ForSync(new Scope("proj-1", "user-1"), "salesforce", "contacts", "default");

        Assert.Equal(new Guid("f271047c-613f-59fb-8377-739d3ada4eab"), id);
    }

    [Fact]
    public void ForSync_DifferentConfigurationName_GivesADifferentId()
    {
        var id = NameBasedGuid.ForSync(new Scope("proj-1", "user-1"), "salesforce", "contacts", "secondary");

        Assert.Equal(new Guid("209fa657-472c-5f40-a66d-01eba4d2273f"), id);
    }

    [Fact]
    public void ForSync_DifferentUser_GivesADifferentId()
    {
        Assert.NotEqual(
            NameBasedGuid.ForSync(new Scope("proj-1", "user-1"), "salesforce", "contacts", "default"),
            NameBasedGuid.ForSync(new Scope("proj-1", "user-2"), "salesforce", "contacts", "default"));
    }
}
