namespace GrpcSync.Connectors.Filesystem;

/// <summary>A path has more symbolic links than <c>MaxFollowedLinks</c> (usually a loop).</summary>
internal sealed class SymbolicLinkLoopException() : IOException("Too many levels of symbolic links.");
