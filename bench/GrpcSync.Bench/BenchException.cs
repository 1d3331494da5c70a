namespace GrpcSync.Bench;

/// <summary>A failure that ends the bench with a clear message (no stack trace needed).</summary>
public sealed class BenchException(string message) : Exception(message);
