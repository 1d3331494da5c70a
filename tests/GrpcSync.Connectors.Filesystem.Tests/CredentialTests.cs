
namespace GrpcSync.Connectors.Filesystem.Tests;

public sealed class CredentialTests : IDisposable
{
    private readonly TempTree _tree = new();

    public CredentialTests() => _tree.WriteSampleTree();

    public void Dispose() => _tree.Dispose();

    private async Task<PermanentSourceException> FailureAsync(FilesystemConnector connector, SourceContext context) =>
        await Assert.ThrowsAsync<PermanentSourceException>(() => connector.EnumerateAsync(context, default).RecordsAsync());

    [Fact]
    public async Task A_plain_absolute_path_secret_designates_the_account_root()
    {
        var records = await _tree.Connector().EnumerateAsync(_tree.Context(secret: _tree.AccountRoot + "/"), default).RecordsAsync();

        Assert.Contains(records, r => r.ExternalId == "docs/a.txt");
    }

    [Fact]
    public async Task A_json_secret_with_a_root_property_designates_the_account_root()
    {
        var secret = System.Text.Json.JsonSerializer.Serialize(new { root = _tree.AccountRoot });

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(secret: secret), default).RecordsAsync();

        Assert.Contains(records, r => r.ExternalId == "docs/a.txt");
    }

    [Theory]
    [InlineData("relative/path")]
    [InlineData("")]
    [InlineData("{not json")]
    [InlineData("""{"path":"/tmp"}""")]
    [InlineData("""{"root":42}""")]
    public async Task A_secret_that_is_not_an_absolute_root_is_rejected(string secret)
    {
        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: secret));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task Without_allowed_roots_every_credential_is_rejected()
    {
        var connector = new FilesystemConnector(new FilesystemConnectorOptions());

        var error = await FailureAsync(connector, _tree.Context());

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task An_account_root_outside_the_allowed_roots_is_rejected_without_naming_them()
    {
        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: _tree.Outside));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
        Assert.DoesNotContain(_tree.Allowed, error.Message);
        Assert.DoesNotContain(_tree.Base, error.Message);
    }

    [Fact]
    public async Task A_sibling_directory_sharing_the_allowed_roots_name_prefix_is_rejected()
    {
        var evil = Directory.CreateDirectory(_tree.Allowed + "-evil").FullName;

        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: evil));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task A_root_that_climbs_out_of_the_allowed_root_with_dot_dot_is_rejected()
    {
        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: _tree.Allowed + "/../outside"));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task An_account_root_symlink_that_leads_into_an_allowed_root_is_accepted()
    {
        var link = Path.Combine(_tree.Base, "alice-link");
        Directory.CreateSymbolicLink(link, _tree.AccountRoot);

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(secret: link), default).RecordsAsync();

        Assert.Contains(records, r => r.ExternalId == "docs/a.txt");
    }

    [Fact]
    public async Task An_account_root_symlink_inside_an_allowed_root_that_leads_outside_is_rejected()
    {
        var link = Path.Combine(_tree.Allowed, "mallory");
        Directory.CreateSymbolicLink(link, _tree.Outside);

        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: link));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task An_allowed_root_given_through_a_symlink_is_resolved_too()
    {
        var allowedLink = Path.Combine(_tree.Base, "allowed-link");
        Directory.CreateSymbolicLink(allowedLink, _tree.Allowed);

        var records = await _tree.Connector(allowedLink).EnumerateAsync(_tree.Context(), default).RecordsAsync();

        Assert.Contains(records, r => r.ExternalId == "docs/a.txt");
    }

    [Fact]
    public async Task A_missing_account_root_inside_an_allowed_root_is_reported_as_ROOT_NOT_FOUND()
    {
        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: Path.Combine(_tree.Allowed, "bob")));

        Assert.Equal("ROOT_NOT_FOUND", error.Code);
    }

    [Fact]
    public async Task A_missing_account_root_outside_the_allowed_roots_is_rejected_rather_than_reported_missing()
    {
        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: Path.Combine(_tree.Outside, "nobody")));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task An_account_root_that_is_a_file_is_reported_as_ROOT_NOT_FOUND()
    {
        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: _tree.Full("notes.md")));

        Assert.Equal("ROOT_NOT_FOUND", error.Code);
    }

    [Fact]
    public async Task A_configured_folder_that_no_longer_exists_is_reported_as_ROOT_NOT_FOUND()
    {
        var error = await FailureAsync(_tree.Connector(), _tree.Context(folder: "archive/2019"));

        Assert.Equal("ROOT_NOT_FOUND", error.Code);
        Assert.Contains("archive/2019", error.Message);
        Assert.Contains("no longer exists", error.Message);
    }

    [Fact]
    public async Task A_configured_folder_that_is_a_symlink_to_outside_the_root_is_rejected()
    {
        Directory.CreateSymbolicLink(_tree.Full("escape"), _tree.Outside);

        var error = await FailureAsync(_tree.Connector(), _tree.Context(folder: "escape"));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task A_configured_folder_that_is_a_symlink_within_the_root_syncs_its_target_under_the_targets_ids()
    {
        Directory.CreateSymbolicLink(_tree.Full("shortcut"), _tree.Full("docs/deep"));

        var records = await _tree.Connector().EnumerateAsync(_tree.Context(folder: "shortcut"), default).RecordsAsync();

        Assert.Equal(["docs/deep/b.json"], records.Ids());
    }

    [Fact]
    public async Task A_symlink_loop_as_account_root_is_rejected()
    {
        var a = Path.Combine(_tree.Allowed, "loop-a");
        var b = Path.Combine(_tree.Allowed, "loop-b");
        Directory.CreateSymbolicLink(a, b);
        Directory.CreateSymbolicLink(b, a);

        var error = await FailureAsync(_tree.Connector(), _tree.Context(secret: a));

        Assert.Equal("CREDENTIAL_REJECTED", error.Code);
    }

    [Fact]
    public async Task Another_pipeline_is_refused_at_run_time()
    {
        var error = await FailureAsync(_tree.Connector(), _tree.Context() with { Pipeline = "contacts" });

        Assert.Equal("UNSUPPORTED_PIPELINE", error.Code);
    }
}
