using System.Text.Json;

namespace GrpcSync.Connectors.GoogleDrive;

/// <summary>
/// The <c>googledrive</c> integration: a user's Google Drive (or one folder's subtree) as the <c>files</c> pipeline's
/// records, on Drive's REST API v3 (https://developers.google.com/drive/api/reference/rest/v3) over HttpClient.
/// <list type="bullet">
/// <item>A credential is an OAuth 2.0 grant <c>{"refreshToken":"…","accessToken"?,"expiresAt"?}</c> (<see cref="OAuthGrant"/>).
/// The engine keeps its access tokens (<see cref="SourceContext.AccessTokens"/>); this connector only knows how to
/// refresh one (<see cref="IOAuthGrants"/>, with the operator's OAuth client).</item>
/// <item>INITIAL/FULL: <c>changes.getStartPageToken</c> first (the cursor of the first INCREMENTAL run, so nothing changed
/// during the listing is missed), then <c>files.list</c>: the whole Drive, or the folder's subtree level by level.</item>
/// <item>INCREMENTAL: <c>changes.list</c> from the stored page token. Removals, trashed files and files that left the
/// configured folder are reported as deletions (<see cref="SourcePage.Deleted"/>).</item>
/// </list>
/// </summary>
// This file is the IConnector surface; each concern has its part (.Api: authorised requests and errors, .Listing,
// .Changes, .Records, .Content, .OAuth; DriveConfiguration, DriveExportFormats), mirrored by the test files.
public sealed partial class GoogleDriveConnector : IConnector, ICredentialChecks, IOAuthGrants, IDisposable
{
    public const string IntegrationName = "googledrive";
    public const string FilesPipeline = "files";

    /// <summary>Drive's MIME type of folders (records keep it, as Paragon's do).</summary>
    public const string FolderMimeType = "application/vnd.google-apps.folder";

    /// <summary>Most items per files.list and changes.list page (Drive's maximum is 1000).</summary>
    public const int PageSize = 1000;

    private readonly GoogleDriveConnectorOptions _options;
    private readonly HttpClient _http;

    public GoogleDriveConnector(GoogleDriveConnectorOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        var handler = new SocketsHttpHandler
        {
            AllowAutoRedirect = false, // Drive answers downloads directly; a redirect would carry the bearer token elsewhere
            PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        };
        _http = new HttpClient(handler) { Timeout = options.RequestTimeout > TimeSpan.Zero ? options.RequestTimeout : TimeSpan.FromSeconds(60) };
    }

    public string Integration => IntegrationName;

    public IReadOnlyCollection<string> Pipelines { get; } = [FilesPipeline];

    /// <summary><c>{}</c> or <c>{"folderId":"…"}</c>, optional boolean <c>includeSharedDrives</c>; no other keys. No source calls.</summary>
    public IReadOnlyList<ConfigurationProblem> ValidateConfiguration(string pipeline, JsonElement configuration)
    {
        return SinglePipeline.Validate(IntegrationName, FilesPipeline, pipeline, DriveConfiguration.Parse(configuration, out _));
    }

    public IAsyncEnumerable<SourcePage> EnumerateAsync(SourceContext context, CancellationToken ct) => ListAsync(context, ct);

    public IAsyncEnumerable<SourcePage> ChangesSinceAsync(SourceContext context, string? cursor, CancellationToken ct) =>
        ChangesAsync(context, cursor, ct);

    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, CancellationToken ct) =>
        OpenContentAsync(context, externalId, range, format: null, ct);

    /// <summary>Google Docs, Sheets, Slides and Drawings are exported (PDF unless <paramref name="format"/> names another type).</summary>
    public Task<SourceContent> DownloadAsync(SourceContext context, string externalId, ByteRange? range, string? format, CancellationToken ct) =>
        OpenContentAsync(context, externalId, range, format, ct);

    /// <summary>The grant's shape (<see cref="OAuthGrant.Check"/>).</summary>
    public IReadOnlyList<ConfigurationProblem> ValidateSecret(JsonElement secret) => OAuthGrant.Check(secret);

    public void Dispose() => _http.Dispose();

    private DriveConfiguration ResolveConfiguration(SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        SinglePipeline.Require(IntegrationName, FilesPipeline, context.Pipeline);
        var problems = DriveConfiguration.Parse(context.Configuration, out var configuration);
        return configuration ?? throw new PermanentSourceException("INVALID_CONFIGURATION", $"{problems[0].Field} {problems[0].Description}");
    }
}
