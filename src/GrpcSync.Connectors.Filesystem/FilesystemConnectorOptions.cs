namespace GrpcSync.Connectors.Filesystem;

/// <summary>
/// Operator settings of the filesystem connector (configuration section
/// <c>GrpcSync:Connectors:Filesystem</c>).
/// </summary>
public sealed class FilesystemConnectorOptions
{
    /// <summary>The configuration section these options are bound from.</summary>
    public const string SectionName = "GrpcSync:Connectors:Filesystem";

    /// <summary>
    /// Absolute directories a credential's root must lie in (after symbolic links are resolved, both
    /// for the root and for these entries). Relative or missing entries are ignored. With no usable
    /// entry every credential is rejected.
    /// </summary>
    public List<string> AllowedRoots { get; set; } = [];
}
