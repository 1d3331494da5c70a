using System.Text.Json;

namespace GrpcSync.Connectors.Filesystem;

// Credentials: the account root a secret names, checked against the operator's allowed roots, and the sync root inside it.
public sealed partial class FilesystemConnector
{
    private sealed record Scope(string AccountRoot, string SyncRoot, string SyncRootId);

    /// <summary>The real account root and the real sync root (configured folder) for a run.</summary>
    private Scope ResolveScope(SourceContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        SinglePipeline.Require(IntegrationName, FilesPipeline, context.Pipeline);
        var problems = ParseConfiguration(context.Configuration, out var folder);
        if (problems.Count > 0)
            throw new PermanentSourceException("INVALID_CONFIGURATION", $"{problems[0].Field} {problems[0].Description}");

        var accountRoot = ResolveAccountRoot(context.Secret);
        if (folder is null)
            return new Scope(accountRoot, accountRoot, "");

        (string Path, bool Exists) resolved;
        try
        {
            resolved = FilesystemPaths.Resolve(FilesystemPaths.JoinRelative(accountRoot, folder));
        }
        catch (SymbolicLinkLoopException)
        {
            throw new PermanentSourceException("CREDENTIAL_REJECTED", $"The configured folder '{folder}' cannot be resolved (symbolic link loop).");
        }
        catch (UnauthorizedAccessException)
        {
            throw new PermanentSourceException("ACCESS_DENIED", $"The server is not permitted to read the configured folder '{folder}'.");
        }
        catch (IOException e)
        {
            throw new TransientSourceException("Resolving the configured folder failed: " + e.Message, e);
        }

        if (!FilesystemPaths.IsUnder(resolved.Path, accountRoot))
            throw new PermanentSourceException("CREDENTIAL_REJECTED", $"The configured folder '{folder}' resolves to a location outside the account root.");
        if (!resolved.Exists)
            throw new PermanentSourceException("ROOT_NOT_FOUND", $"The configured folder '{folder}' no longer exists.");
        if (!Directory.Exists(resolved.Path))
            throw new PermanentSourceException("ROOT_NOT_FOUND", $"The configured folder '{folder}' is not a folder.");

        var id = string.Equals(resolved.Path, accountRoot, FilesystemPaths.PathComparison)
            ? ""
            : Path.GetRelativePath(accountRoot, resolved.Path).Replace(Path.DirectorySeparatorChar, '/');
        return new Scope(accountRoot, resolved.Path, id);
    }

    /// <summary>
    /// The real path of the credential's root. Rejected (CREDENTIAL_REJECTED) unless it lies in an
    /// allowed root; ROOT_NOT_FOUND only once it is known to lie in one (no probing of other paths).
    /// Messages never name the operator's allowed roots.
    /// </summary>
    private string ResolveAccountRoot(string secret)
    {
        var requested = ParseSecret(secret);
        var allowed = ResolveAllowedRoots();
        if (allowed.Count == 0)
            throw new PermanentSourceException("CREDENTIAL_REJECTED", $"The {IntegrationName} integration is not enabled on this server (no allowed roots are configured).");

        (string Path, bool Exists) root;
        try
        {
            root = FilesystemPaths.Resolve(requested);
        }
        catch (SymbolicLinkLoopException)
        {
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's root directory cannot be resolved (symbolic link loop).");
        }
        catch (UnauthorizedAccessException)
        {
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's root directory cannot be accessed by the server.");
        }
        catch (IOException e)
        {
            throw new TransientSourceException("Resolving the credential's root directory failed: " + e.Message, e);
        }

        if (!allowed.Any(a => FilesystemPaths.IsUnder(root.Path, a)))
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's root directory is not inside a directory this server is allowed to sync.");
        if (!root.Exists)
            throw new PermanentSourceException("ROOT_NOT_FOUND", "The credential's root directory does not exist.");
        if (!Directory.Exists(root.Path))
            throw new PermanentSourceException("ROOT_NOT_FOUND", "The credential's root is not a directory.");
        return root.Path;
    }

    private List<string> ResolveAllowedRoots()
    {
        var resolved = new List<string>(_allowedRoots.Length);
        foreach (var candidate in _allowedRoots)
        {
            if (string.IsNullOrWhiteSpace(candidate) || !Path.IsPathFullyQualified(candidate))
                continue;
            try
            {
                var (path, exists) = FilesystemPaths.Resolve(candidate);
                if (exists && Directory.Exists(path))
                    resolved.Add(path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // An unusable allowed root allows nothing.
            }
        }
        return resolved;
    }

    /// <summary>A plain absolute path, or JSON <c>{"root":"/abs/path"}</c> (other keys ignored); whitespace around it is trimmed.</summary>
    private static string ParseSecret(string? secret)
    {
        var text = secret?.Trim() ?? "";
        string? root = text;
        if (text.StartsWith('{'))
        {
            try
            {
                using var document = JsonDocument.Parse(text);
                root = document.RootElement.TryGetProperty("root", out var value) && value.ValueKind == JsonValueKind.String
                    ? value.GetString()
                    : throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's JSON secret needs a string \"root\" property.");
            }
            catch (JsonException)
            {
                throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's secret is neither an absolute path nor valid JSON.");
            }
        }

        if (string.IsNullOrWhiteSpace(root))
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential does not name a root directory.");
        if (root.Contains('\0') || !Path.IsPathFullyQualified(root))
            throw new PermanentSourceException("CREDENTIAL_REJECTED", "The credential's root directory must be an absolute path.");
        return root;
    }
}
