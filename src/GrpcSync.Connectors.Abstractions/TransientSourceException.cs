namespace GrpcSync.Connectors;

/// <summary>A failure that may go away by itself (network, timeouts): the run is retried with backoff.</summary>
public class TransientSourceException(string message, Exception? inner = null) : Exception(message, inner);
