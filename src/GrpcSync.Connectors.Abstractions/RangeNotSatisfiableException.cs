namespace GrpcSync.Connectors;

/// <summary>
/// The asked-for byte range selects no byte of the content (it starts past the end, or the content is empty).
/// The API answers 416 (REST) / OUT_OF_RANGE (gRPC) with the content's length when it is known.
/// </summary>
public sealed class RangeNotSatisfiableException(long? completeLength)
    : Exception(completeLength is { } length ? $"The range selects no byte of the {length}-byte content." : "The range selects no byte of the content.")
{
    /// <summary>The content's length, when the source said.</summary>
    public long? CompleteLength { get; } = completeLength;
}
