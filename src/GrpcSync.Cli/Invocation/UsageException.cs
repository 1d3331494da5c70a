namespace GrpcSync.Cli.Invocation;

/// <summary>Bad input found before any call (an option's value that the parser cannot judge): exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
