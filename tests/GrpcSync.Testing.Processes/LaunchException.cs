namespace GrpcSync.Testing.Processes;

/// <summary>
/// A program a test or the bench needs could not be found, started or finished (initdb, pg_ctl, h2load ...).
/// The message says what to install or what the program printed; no stack trace is needed to act on it.
/// </summary>
public sealed class LaunchException(string message) : InvalidOperationException(message);
