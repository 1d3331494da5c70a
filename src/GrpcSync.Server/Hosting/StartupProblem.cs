namespace GrpcSync.Server.Hosting;

/// <summary>
/// A configuration the server refuses to start with (Program.cs prints the message alone and exits 1): the operator
/// needs the fix, not a stack trace.
/// </summary>
public sealed class StartupProblem(string message) : Exception(message);
